import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCli } from '../src/index.js';
import { tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('command line', () => {
  it('builds sites from flags, each --site owning the keys and origins after it', () => {
    const command = parseCli([
      '--port',
      '0',
      '--memory',
      '--dev',
      '--site',
      'demo',
      '--write-key',
      'pk_demo',
      '--read-key',
      'sk_demo',
      '--origin',
      'http://127.0.0.1:8080',
      '--site',
      'shop',
      '--write-key',
      'pk_shop',
      '--read-key',
      'sk_shop',
      '--origin',
      'https://a.example',
      '--origin',
      'https://b.example',
      '--rate-limit',
      '10',
      '--rate-burst',
      '20',
      '--retention-days',
      '7',
      '--rollup-retention-days',
      '30',
      '--cleanup-interval',
      '60',
      '--rollup-dimension',
      'plans=plan',
      '--cors-any',
      '--no-redact',
    ]);
    expect(command).toEqual({
      command: 'serve',
      options: {
        port: 0,
        memory: true,
        dev: true,
        corsAny: true,
        redact: false,
        rateLimit: { perSecond: 10, burst: 20 },
        retention: { rawDays: 7, rollupDays: 30, intervalMs: 60_000 },
        rollupDimensions: { plans: 'plan' },
        sites: [
          { id: 'demo', writeKey: 'pk_demo', readKey: 'sk_demo', origins: ['http://127.0.0.1:8080'] },
          { id: 'shop', writeKey: 'pk_shop', readKey: 'sk_shop', origins: ['https://a.example', 'https://b.example'] },
        ],
      },
    });
  });

  it('reads sites and settings from --config, flags adding to them', () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = join(dir, 'receiver.json');
    writeFileSync(file, JSON.stringify({ dev: true, sites: [{ id: 'a', writeKey: 'pk_a', readKey: 'sk_a', origins: [] }] }));
    const command = parseCli(['--config', file, '--site', 'b', '--write-key', 'pk_b', '--read-key', 'sk_b']);
    expect(command.command === 'serve' && command.options.sites.map((site) => site.id)).toEqual(['a', 'b']);
    expect(command.command === 'serve' && command.options.dev).toBe(true);
  });

  it.each([
    [[], /no site configured/],
    [['--site', 'x', '--write-key', 'pk_x', '--read-key', 'pk_x'], /used twice/],
    [['--write-key', 'pk_x'], /must follow --site/],
    [['--site', 'x', '--write-key', 'pk_x', '--read-key', 'sk_x', '--origin', 'not a url'], /origins/],
    [['--port', 'eighty'], /--port must be an integer/],
    [['--bogus'], /unknown argument --bogus/],
    [['import'], /import needs a file/],
    [['--rollup-dimension', 'nope'], /name=field/],
  ])('refuses %j with a message', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });

  it('parses the import command', () => {
    expect(parseCli(['import', 'backup.json', '--site', 'demo', '--data-dir', '.data/x'])).toEqual({
      command: 'import',
      file: 'backup.json',
      siteId: 'demo',
      dataDir: '.data/x',
      memory: false,
    });
  });
});
