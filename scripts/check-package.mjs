// The npm package `trailmark` as a user gets it: packs the tarball, installs it into a fresh project outside the
// repository (no workspace links, so an unpublished dependency would fail the install), type-checks and bundles the
// README's snippet and a script-tag page's use of the global against what was installed. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import nodeResolve from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';

const root = resolve(import.meta.dirname, '..');
const sdk = join(root, 'packages/sdk');
/** What the tarball must hold, beside package.json. */
const EXPECTED_FILES = [
  'README.md',
  'LICENSE',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/script-tag.d.ts',
  'dist/trailmark.min.js',
  'dist/trailmark.js',
  'dist/trailmark-later.min.js',
  'dist/trailmark-later.js',
];

/** The first ```ts block of the package's README: the snippet a new user copies. */
export function readmeSnippet() {
  const match = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(sdk, 'README.md'), 'utf8'));
  if (!match) throw new Error('packages/sdk/README.md has no ```ts snippet');
  return match[1];
}

const run = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Packs, installs and bundles; returns what it checked, or throws with what went wrong. `keep` leaves the temporary
 * project in place (its path is returned) to look at.
 */
export async function checkPackage({ keep = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'trailmark-package-'));
  try {
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], sdk));
    const files = packed.files.map((file) => file.path);
    const missing = EXPECTED_FILES.filter((file) => !files.includes(file));
    if (missing.length) throw new Error(`the tarball lacks ${missing.join(', ')}`);
    const manifest = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8'));
    const unpublished = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((name) =>
      name.startsWith('@trailmark/'),
    );
    if (unpublished.length) throw new Error(`trailmark depends on unpublished ${unpublished.join(', ')}`);

    // A project of its own, as `npm init` leaves it, that installs the tarball: from the npm cache where it can.
    const project = join(dir, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'new-user', private: true, type: 'module' }, null, 2)}\n`);
    run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', join(dir, packed.filename)],
      project,
    );

    const snippet = readmeSnippet();
    writeFileSync(join(project, 'src/main.ts'), snippet);
    writeFileSync(
      join(project, 'src/page.ts'),
      `import type {} from 'trailmark/trailmark.min.js';\nwindow.trailmark?.('track', 'signup', { plan: 'pro' });\nvoid window.trailmark?.('flush')?.then(() => undefined);\n// @ts-expect-error: not a method of the global\nwindow.trailmark?.('trak', 'signup');\n`,
    );
    const compilerOptions = {
      strict: true,
      noEmit: true,
      module: 'ESNext',
      moduleResolution: 'Bundler',
      target: 'ES2020',
      lib: ['ES2022', 'DOM'],
      types: [],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
    // skipLibCheck off: the package's own declarations must check, with nothing of the repository to lean on.
    try {
      run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], project);
    } catch (error) {
      throw new Error(`the README snippet does not type-check against the installed package:\n${error.stdout}${error.stderr}`);
    }

    // The snippet is plain JavaScript too: bundle it as an app would, every import resolved from the project.
    writeFileSync(join(project, 'src/main.js'), snippet);
    const warnings = [];
    const bundle = await rollup({
      input: join(project, 'src/main.js'),
      plugins: [nodeResolve({ browser: true, rootDir: project })],
      onwarn: (warning) => warnings.push(warning.message),
    });
    const { output } = await bundle.generate({ format: 'es' });
    await bundle.close();
    const code = output[0].code;
    if (warnings.length) throw new Error(`bundling the README snippet warned: ${warnings.join('; ')}`);
    if (/^import\s/m.test(code)) throw new Error('the bundled snippet still imports a module it could not resolve');
    if (!code.includes('createTracker')) throw new Error('the bundled snippet does not contain the tracker');
    return {
      tarball: packed.filename,
      size: packed.size,
      files: files.length,
      bundleBytes: Buffer.byteLength(code),
      ...(keep ? { dir } : {}),
    };
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await checkPackage({ keep: process.argv.includes('--keep') }));
