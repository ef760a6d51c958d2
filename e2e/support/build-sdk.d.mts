/** Bundles the SDK's source as one browser ES module (e2e/.build/sdk.js). */
export function buildSdk(options?: { release?: boolean }): Promise<void>;
