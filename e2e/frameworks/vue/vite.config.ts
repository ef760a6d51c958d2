import { defineConfig } from 'vite';

// Built into e2e/.build/vue; `trailmark` resolves to the packed tarball unpacked in e2e/frameworks/node_modules.
export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: '../../.build/vue', emptyOutDir: true },
  logLevel: 'warn',
});
