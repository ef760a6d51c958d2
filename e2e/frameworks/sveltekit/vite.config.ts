import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// Every page prerendered at build time (the server render of the layout runs in Node: the recipe must be SSR-safe),
// then hydrated in the browser. Built into e2e/.build/sveltekit by e2e/frameworks.spec.ts; `trailmark` resolves to
// the packed tarball unpacked in e2e/frameworks/node_modules.
export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({ pages: '../../.build/sveltekit', assets: '../../.build/sveltekit' }),
      outDir: '../../.build/sveltekit-kit',
    }),
  ],
  logLevel: 'warn',
});
