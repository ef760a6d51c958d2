/** Bundles the SDK's source as one browser ES module (e2e/.build/sdk.js). */
export function buildSdk(options?: { release?: boolean }): Promise<void>;
/** The debug build of buildSdk(), unless a fresh one is there; resolves to whether it built. */
export function buildSdkIfStale(): Promise<boolean>;
