// The example app's bundle, made by the repository's rollup build (rollup.config.mjs includes this config): React
// and React Router are CommonJS/ESM from npm, resolved for the browser, in React's development build so StrictMode
// really renders and runs effects twice (what e2e/react.spec.ts proves is counted once); `trailmark` and
// `@trailmark/react` are the workspace packages' built output, as an npm user gets them.
import { resolve } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import nodeResolve from '@rollup/plugin-node-resolve';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import { transpileTs } from '../../scripts/ts-transpile.mjs';

const dir = resolve(import.meta.dirname);

export default {
  input: resolve(dir, 'src/main.tsx'),
  plugins: [
    replace({ preventAssignment: true, values: { 'process.env.NODE_ENV': JSON.stringify('development') } }),
    nodeResolve({ browser: true, rootDir: dir }),
    commonjs(),
    // Types are checked by `npm run typecheck`; the bundle transpiles module by module (scripts/ts-transpile.mjs).
    transpileTs(resolve(dir, 'tsconfig.json')),
    terser({ format: { comments: false } }),
  ],
  output: { file: resolve(dir, 'dist/app.js'), format: 'es' },
};
