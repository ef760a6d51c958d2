import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The installed command: bin/trailmark-receiver.mjs runs the built CLI (npm test builds first).
const BIN = new URL('../bin/trailmark-receiver.mjs', import.meta.url).pathname;

describe('trailmark-receiver command', () => {
  it('prints its usage with --help and exits 2 on a bad argument', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('trailmark-receiver import <file.json>');
    const bad = spawnSync(process.execPath, [BIN, '--site', 'x', '--write-key'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--write-key needs a value');
  });

  it('listens on 127.0.0.1, answers, and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, '--port', '0', '--memory', '--site', 'demo', '--write-key', 'pk_demo', '--read-key', 'sk_demo'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
      });
      expect(((await (await fetch(`${url}/healthz`)).json()) as { ok: boolean }).ok).toBe(true);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 20_000);
});
