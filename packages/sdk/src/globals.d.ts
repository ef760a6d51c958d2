/** Replaced at build time: true keeps debug messages, false strips them (the .min.js). */
declare const __DEBUG_BUILD__: boolean;
/** Replaced at build time with the SDK package version. */
declare const __SDK_VERSION__: string;
