/** Where the framework apps send their events: a port per spec file, whichever worker runs it. */
export declare const APP_ENDPOINTS: { next: string; frameworks: string };
/** `next build` of examples/next unless a fresh build for APP_ENDPOINTS.next is there; resolves to whether it built. */
export function buildNext(): Promise<boolean>;
/** `vite build` of the Vue and SvelteKit recipe apps unless both are fresh; resolves to whether it built. */
export function buildFrameworkApps(): Promise<boolean>;
