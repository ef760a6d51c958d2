import type { NextConfig } from 'next';

// create-next-app's defaults with Cache Components on: every route must say what is dynamic, and a dynamic route
// (app/product/[id]) builds only if nothing reads request data outside a <Suspense> boundary.
const config: NextConfig = {
  cacheComponents: true,
  partialPrefetching: true,
  // `npm run typecheck` type-checks the example (tsc -p examples/next): the build need not do it again.
  typescript: { ignoreBuildErrors: true },
  // The example lives in the repository's workspaces: the root is two folders up (where node_modules is).
  turbopack: { root: new URL('../..', import.meta.url).pathname },
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};

export default config;
