#!/usr/bin/env node
// Installs chDB (ClickHouse embedded, ~570 MB) for the ClickHouse backend, outside the workspace's node_modules:
// into TRAILMARK_CHDB_DIR, default `.cache/chdb` of the working directory (the repository root for `.ci/run` and the
// demo). The workspace's own `npm install` never downloads it, and this leaves package.json and package-lock.json
// as they are. Nothing happens when chDB can already be loaded.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const VERSION = '3.4.0';
const dir = resolve(process.env.TRAILMARK_CHDB_DIR ?? join(process.cwd(), '.cache', 'chdb'));

function loadable() {
  for (const from of [import.meta.url, join(dir, 'package.json')]) {
    try {
      createRequire(from).resolve('chdb');
      return true;
    } catch {
      // Not there; try the next place.
    }
  }
  return false;
}

if (loadable()) {
  console.log(`chdb is installed (${dir})`);
} else {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  console.log(`installing chdb@${VERSION} into ${dir} (about 570 MB, once)…`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, `chdb@${VERSION}`], { stdio: 'inherit' });
}
