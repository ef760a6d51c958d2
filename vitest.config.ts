import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './vitest.sequencer.js';

const alias = {
  '@trailmark/protocol': new URL('./packages/protocol/src/index.ts', import.meta.url).pathname,
  '@trailmark/node-http': new URL('./packages/node-http/src/index.ts', import.meta.url).pathname,
};
const define = { __DEBUG_BUILD__: 'true', __SDK_VERSION__: '"0.0.0-test"' };
const setupFiles = ['./vitest.setup.ts'];

/** One project per package: each finds its tests in its own `test/` folder. */
export default defineConfig({
  define,
  test: {
    // Vitest's default is one worker fewer than the cores: one worker on a 2-core machine, which left a core idle
    // while the contract suites' servers and the files that wait on child processes (workerd, the demo) ran one at a
    // time. A worker a core keeps both busy (VITEST_MAX_WORKERS overrides).
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS) || Math.max(2, availableParallelism()),
    // The few files that wait longest start first (vitest.sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      // The repository's scripts (the demo's command line, the build of what changed, figures written into docs).
      { test: { name: 'scripts', include: ['scripts/test/**/*.test.ts'], environment: 'node' } },
      { define, resolve: { alias }, test: { name: 'protocol', include: ['packages/protocol/test/**/*.test.ts'], environment: 'node' } },
      {
        define,
        resolve: { alias },
        test: { name: 'sdk', include: ['packages/sdk/test/**/*.test.ts'], environment: 'happy-dom', setupFiles },
      },
      { define, resolve: { alias }, test: { name: 'node-http', include: ['packages/node-http/test/**/*.test.ts'], environment: 'node' } },
      {
        define,
        resolve: { alias: { ...alias, trailmark: new URL('./packages/sdk/src/index.ts', import.meta.url).pathname } },
        test: { name: 'react', include: ['packages/react/test/**/*.test.ts'], environment: 'node', setupFiles },
      },
      {
        define,
        resolve: { alias },
        // Like the other backends' projects: a store built from a data set takes 4-5 s at load 15 (the 5 s default
        // timed out once while correct); the time limit is a hang guard, no speed target.
        test: { name: 'receiver', include: ['packages/receiver/test/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
      {
        define,
        resolve: { alias },
        test: {
          name: 'pg-ingest',
          include: ['packages/pg-ingest/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        define,
        resolve: { alias },
        test: {
          name: 'clickhouse',
          include: ['packages/clickhouse/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        define,
        resolve: { alias },
        test: {
          name: 'd1-worker',
          include: ['packages/d1-worker/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        define,
        resolve: {
          alias: {
            ...alias,
            // Backends and SDK from source, so a contract fix is tested without a rebuild (the D1 Worker runs its bundle).
            '@trailmark/receiver': new URL('./packages/receiver/src/index.ts', import.meta.url).pathname,
            '@trailmark/pg-ingest': new URL('./packages/pg-ingest/src/index.ts', import.meta.url).pathname,
            '@trailmark/clickhouse': new URL('./packages/clickhouse/src/index.ts', import.meta.url).pathname,
            trailmark: new URL('./packages/sdk/src/index.ts', import.meta.url).pathname,
          },
        },
        test: {
          name: 'contract',
          include: ['packages/contract/test/**/*.test.ts'],
          environment: 'node',
          setupFiles,
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
