// The build replaces these flags (rollup.config.mjs); under vitest they are globals.
Object.assign(globalThis, { __DEBUG_BUILD__: true, __SDK_VERSION__: '0.0.0-test' });
