// `npm run release:check`: packs every package a user installs and proves each tarball installs alone into a blank
// project (outside the repository: no workspace links) and works there: its module imports, its command runs, its
// README and LICENSE ship. The tarballs are left in .data/release/ (or --out DIR): until the packages are on npm, a
// user installs them from there (`npm install ./trailmark-0.1.0.tgz`, docs/getting-started.md). Run after a build.
//   node scripts/release.mjs [--out DIR] [--only name,name] [--keep]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildStale } from './stale-build.mjs';

const root = resolve(import.meta.dirname, '..');

/**
 * What each package must do once installed alone: `imports` are names its module exports; `bin` a command whose
 * `--help` exits 0 and prints `help`; `files` more paths the tarball must hold.
 */
const CHECKS = {
  '@trailmark/protocol': { imports: ['parseBatch', 'admitBatch', 'classifySource'] },
  '@trailmark/node-http': { imports: ['startHttpServer', 'createKeyring'] },
  trailmark: {
    imports: ['createTracker', 'fetchTransport', 'indexedDbQueue'],
    files: ['dist/trailmark.min.js', 'dist/trailmark-later.min.js'],
  },
  '@trailmark/react': { imports: ['TrailmarkProvider', 'useTracker'] },
  '@trailmark/receiver': { imports: ['startReceiver'], bin: ['trailmark-receiver', 'Usage'], files: ['migrations', 'public/live.html'] },
  '@trailmark/pg-ingest': { imports: ['startIngest'], bin: ['trailmark-pg', 'trailmark-pg serve'], files: ['migrations'] },
  '@trailmark/dashboard': { files: ['dist/dashboard.js', 'public/index.html'] },
  // Installs without chDB (an optional peer, ~570 MB): its module imports and its command runs without it.
  '@trailmark/clickhouse': {
    imports: ['startClickhouse', 'openEventLog', 'loadBatch', 'chdbAvailable'],
    bin: ['trailmark-clickhouse', 'trailmark-clickhouse serve'],
    files: ['migrations', 'scripts/install-chdb.mjs'],
  },
};

/** The workspace packages that are published (not `private`), by name, with their folder and manifest. */
export function publishable() {
  const found = {};
  for (const dir of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    if (!manifest.private) found[manifest.name] = { dir: join(root, 'packages', dir), manifest };
  }
  return found;
}

const run = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The workspace packages `name` needs installed beside it (its dependencies and peers of ours, transitively). */
function ours(name, packages, seen = new Set()) {
  const { manifest } = packages[name];
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    if (packages[dep] && !seen.has(dep)) {
      seen.add(dep);
      ours(dep, packages, seen);
    }
  }
  return seen;
}

/** Checks one installed package in `project`; returns the problems found. */
function checkInstalled(name, project, packed) {
  const problems = [];
  const check = CHECKS[name] ?? {};
  for (const file of ['README.md', 'LICENSE', 'package.json', ...(check.files ?? [])])
    if (!packed.some((path) => path === file || path.startsWith(`${file}/`))) problems.push(`the tarball lacks ${file}`);
  if (check.imports) {
    try {
      const out = run(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).join(' '))`],
        project,
      );
      const missing = check.imports.filter((exported) => !out.split(/\s+/).includes(exported));
      if (missing.length) problems.push(`its module does not export ${missing.join(', ')}`);
    } catch (error) {
      problems.push(`its module does not import: ${(error.stderr || error.message).trim().split('\n').slice(0, 4).join(' | ')}`);
    }
  }
  if (check.bin) {
    const [command, expected] = check.bin;
    try {
      const out = run(join(project, 'node_modules/.bin', command), ['--help'], project);
      if (!out.includes(expected)) problems.push(`${command} --help does not print its usage`);
    } catch (error) {
      problems.push(`${command} --help failed: ${(error.stderr || error.message).trim().split('\n').slice(0, 4).join(' | ')}`);
    }
  }
  return problems;
}

/** Packs every publishable package into `out` and installs and checks each alone; returns one result per package. */
export function releaseCheck({ out = join(root, '.data/release'), only, keep = false, log = console.log } = {}) {
  const packages = publishable();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tarballs = {};
  const contents = {};
  for (const [name, { dir }] of Object.entries(packages)) {
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', out], dir));
    tarballs[name] = join(out, packed.filename);
    contents[name] = packed.files.map((file) => file.path);
  }
  const results = [];
  for (const name of Object.keys(packages)) {
    if (only && !only.includes(name)) continue;
    const project = mkdtempSync(join(tmpdir(), 'trailmark-release-'));
    try {
      writeFileSync(
        join(project, 'package.json'),
        `${JSON.stringify({ name: 'blank-project', private: true, type: 'module' }, null, 2)}\n`,
      );
      // The package's tarball, and the tarballs of ours it needs: what the registry would serve once they are published.
      const needed = [...ours(name, packages)].map((dep) => tarballs[dep]);
      const started = Date.now();
      let problems;
      try {
        run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarballs[name], ...needed], project);
        problems = checkInstalled(name, project, contents[name]);
      } catch (error) {
        problems = [`npm install failed: ${(error.stderr || error.message).trim().split('\n').slice(-6).join(' | ')}`];
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      results.push({ name, tarball: tarballs[name], problems });
      log(
        `${problems.length ? '✗' : '✓'} ${name}: ${tarballs[name].slice(out.length + 1)} installed alone in ${seconds} s${problems.map((p) => `\n    ${p}`).join('')}`,
      );
    } finally {
      if (!keep) rmSync(project, { recursive: true, force: true });
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const value = (flag) => {
    const at = argv.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
    if (at === -1) return undefined;
    return argv[at].includes('=') ? argv[at].slice(flag.length + 1) : argv[at + 1];
  };
  buildStale();
  const out = value('--out');
  const results = releaseCheck({
    ...(out ? { out: resolve(out) } : {}),
    ...(value('--only') ? { only: value('--only').split(',') } : {}),
    keep: argv.includes('--keep'),
  });
  const failed = results.filter((result) => result.problems.length);
  console.log(
    failed.length
      ? `${failed.length} of ${results.length} packages are not ready to publish`
      : `all ${results.length} packages install alone and work; tarballs in ${out ?? '.data/release'}`,
  );
  process.exit(failed.length ? 1 : 0);
}
