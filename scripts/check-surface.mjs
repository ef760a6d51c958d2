// Checks the published surface of the npm packages: publint (package.json, exports, files) and
// Are The Types Wrong (types resolve for every module resolution mode). Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => resolve(root, 'node_modules/.bin', name);
let failed = false;
for (const dir of ['packages/protocol', 'packages/sdk']) {
  for (const [tool, args] of [
    ['publint', [dir, '--strict']],
    ['attw', ['--pack', dir, '--profile', 'esm-only', '--format', 'table-flipped']],
  ]) {
    try {
      const out = execFileSync(bin(tool), args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      console.log(`✓ ${tool} ${dir}\n${out.trim()}`);
    } catch (error) {
      failed = true;
      console.error(`✗ ${tool} ${dir}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
process.exit(failed ? 1 : 0);
