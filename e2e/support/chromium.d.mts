export declare const chromiumPath: () => string | undefined;
export declare const CHROMIUM_ARGS: string[];
/** One line naming the browser the e2e run drives; throws, saying how to install one, when there is none. */
export declare function describeBrowser(): Promise<string>;
