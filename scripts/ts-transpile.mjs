// TypeScript to JavaScript for the test-time bundles (the size check's measurements, the e2e pages' SDK build),
// module by module with `ts.transpileModule` and one cache per plugin: the bytes @rollup/plugin-typescript emits
// (the sources are `isolatedModules` with `verbatimModuleSyntax`, so a file's output never depends on another), at a
// fraction of its cost, which builds and type-checks a whole program for every bundle. Type checking is
// `npm run typecheck`'s job; the release build (rollup.config.mjs) keeps the checking plugin.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** A rollup plugin transpiling `.ts` modules with the compiler options of `tsconfig` (a path); reuse it across bundles. */
export function transpileTs(tsconfig) {
  const { config, error } = ts.readConfigFile(tsconfig, (path) => readFileSync(path, 'utf8'));
  if (error) throw new Error(`cannot read ${tsconfig}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions ?? {}, dirname(tsconfig));
  const base = config.extends
    ? ts.convertCompilerOptionsFromJson(
        ts.readConfigFile(new URL(config.extends, `file://${tsconfig}`).pathname, (path) => readFileSync(path, 'utf8')).config
          .compilerOptions,
        dirname(tsconfig),
      ).options
    : {};
  const compilerOptions = { ...base, ...options, declaration: false, sourceMap: false, noEmit: false };
  const cache = new Map();
  return {
    name: 'transpile-ts',
    // `./queue.js` in a .ts module is `./queue.ts`, as TypeScript resolves it.
    resolveId(source, importer) {
      if (!importer || !/\.tsx?$/.test(importer) || !source.startsWith('.') || !source.endsWith('.js')) return null;
      const candidate = resolve(dirname(importer), `${source.slice(0, -3)}.ts`);
      return existsSync(candidate) ? candidate : null;
    },
    transform(code, id) {
      if (!/\.tsx?$/.test(id) || id.endsWith('.d.ts')) return null;
      const key = `${id}\0${code}`;
      let output = cache.get(key);
      if (output === undefined) {
        output = ts.transpileModule(code, { compilerOptions, fileName: id }).outputText;
        cache.set(key, output);
      }
      return { code: output, map: null };
    },
  };
}
