/** Replaced at build time: true keeps debug messages, false strips them (the .min.js). */
declare const __DEBUG_BUILD__: boolean;
/** Replaced at build time with the SDK package version. */
declare const __SDK_VERSION__: string;
/** Replaced at build time in the script tag's first file: its second file's name (beside it) and integrity. */
declare const __LATER_FILE__: string;
declare const __LATER_INTEGRITY__: string;
