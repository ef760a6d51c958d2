import { readFileSync } from 'node:fs';
import { type SiteConfig, validateSites } from '@trailmark/node-http';
import type { StartOptions } from './server.js';

/** What the command line asks for. */
export type CliCommand =
  | { command: 'help' }
  | { command: 'serve'; options: StartOptions }
  | { command: 'import'; file: string; siteId: string | undefined; dataDir: string | undefined; memory: boolean }
  | { command: 'redact'; dataDir: string | undefined };

/** The usage text (`--help`). */
export const USAGE = `Usage:
  trailmark-receiver [options]                 start the receiver on 127.0.0.1
  trailmark-receiver import <file.json> [--site <id>] [--data-dir <dir>]
                                               back-fill a JSON export of events, idempotently
  trailmark-receiver redact [--data-dir <dir>]  run today's privacy rules over the events and rollups already stored

Options:
  --port <n>                    port (default 8787; 0 picks a free one)
  --data-dir <dir>              database directory (default .data/receiver)
  --memory                      keep everything in memory (tests, CI)
  --config <file.json>          sites and settings from a file (flags override it)
  --site <id>                   add a site; the next --write-key, --read-key and --origin belong to it
  --write-key <pk_...>          the site's public write key
  --read-key <sk_...>           the site's secret read key
  --origin <origin>             an origin allowed to send (repeatable; * for any)
  --cors-any                    accept requests from any origin
  --dev                         inspection endpoints (/_trailmark/*) and an open live page
  --rate-limit <n>              requests per second per key (default 50; 0 turns it off)
  --rate-burst <n>              burst per key (default 200)
  --retention-days <n>          raw events kept (default 30)
  --rollup-retention-days <n>   hourly rollups kept (default 90)
  --cleanup-interval <s>        seconds between retention cleanups (default 3600)
  --rollup-dimension <name=field>  count a props field per hour (repeatable; replaces the defaults)
  --no-redact                   store text as received (no server-side redaction)
  --help                        this text`;

/** Parses argv (without `node` and the script); throws with a message naming the bad argument. */
export function parseCli(argv: readonly string[]): CliCommand {
  const args = [...argv];
  if (args.includes('--help') || args.includes('-h')) return { command: 'help' };
  let command: 'serve' | 'import' | 'redact' = 'serve';
  let file: string | undefined;
  if (args[0] === 'redact') {
    command = 'redact';
    args.shift();
  } else if (args[0] === 'import') {
    command = 'import';
    args.shift();
    file = args.shift();
    if (!file || file.startsWith('--')) throw new Error('import needs a file: trailmark-receiver import <file.json>');
  } else if (args[0] === 'serve') args.shift();

  let options: Partial<StartOptions> & { sites?: unknown } = {};
  const configIndex = args.indexOf('--config');
  if (configIndex >= 0) {
    const path = args[configIndex + 1];
    if (!path) throw new Error('--config needs a file');
    options = readConfig(path);
    args.splice(configIndex, 2);
  }
  const flagSites: Array<Partial<SiteConfig> & { origins: string[] }> = [];
  const dimensions: Record<string, string> = {};
  let importSite: string | undefined;
  const current = (flag: string) => {
    const site = flagSites[flagSites.length - 1];
    if (!site) throw new Error(`${flag} must follow --site <id>`);
    return site;
  };
  while (args.length > 0) {
    const flag = args.shift() as string;
    const value = () => {
      const next = args.shift();
      if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--port':
        options.port = integer(flag, value(), 0, 65535);
        break;
      case '--data-dir':
        options.dataDir = value();
        break;
      case '--memory':
        options.memory = true;
        break;
      case '--site':
        if (command === 'import') importSite = value();
        else flagSites.push({ id: value(), origins: [] });
        break;
      case '--write-key':
        current(flag).writeKey = value();
        break;
      case '--read-key':
        current(flag).readKey = value();
        break;
      case '--origin':
        current(flag).origins.push(value());
        break;
      case '--cors-any':
        options.corsAny = true;
        break;
      case '--dev':
        options.dev = true;
        break;
      case '--rate-limit':
        options.rateLimit = { perSecond: integer(flag, value(), 0, 1_000_000), burst: options.rateLimit?.burst ?? 200 };
        break;
      case '--rate-burst':
        options.rateLimit = { perSecond: options.rateLimit?.perSecond ?? 50, burst: integer(flag, value(), 1, 1_000_000) };
        break;
      case '--retention-days':
        options.retention = { ...options.retention, rawDays: integer(flag, value(), 1, 36_500) };
        break;
      case '--rollup-retention-days':
        options.retention = { ...options.retention, rollupDays: integer(flag, value(), 1, 36_500) };
        break;
      case '--cleanup-interval':
        options.retention = { ...options.retention, intervalMs: integer(flag, value(), 0, 31_536_000) * 1000 };
        break;
      case '--rollup-dimension': {
        const match = /^([A-Za-z_][A-Za-z0-9_]{0,63})=([A-Za-z_][A-Za-z0-9_.:-]{0,127})$/.exec(value());
        if (!match) throw new Error('--rollup-dimension takes name=field, e.g. plan_usage=plan');
        dimensions[match[1] as string] = match[2] as string;
        break;
      }
      case '--no-redact':
        options.redact = false;
        break;
      default:
        throw new Error(`unknown argument ${flag} (see --help)`);
    }
  }
  if (Object.keys(dimensions).length > 0) options.rollupDimensions = dimensions;
  if (command === 'redact') return { command, dataDir: options.dataDir };
  if (command === 'import') {
    return { command, file: file as string, siteId: importSite, dataDir: options.dataDir, memory: options.memory ?? false };
  }
  const configSites = Array.isArray(options.sites) ? options.sites : [];
  const sites = validateSites([...configSites, ...flagSites]);
  if (sites.length === 0) throw new Error('no site configured: pass --site <id> --write-key <pk> --read-key <sk>, or --config <file>');
  return { command, options: { ...options, sites } };
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new Error(`${flag} must be an integer from ${min} to ${max}`);
  return value;
}

const CONFIG_KEYS = ['sites', 'port', 'dataDir', 'memory', 'dev', 'corsAny', 'rateLimit', 'retention', 'rollupDimensions', 'redact'];

/** Reads a JSON config file: `{ sites: [...], port?, dataDir?, dev?, corsAny?, rateLimit?, retention?, rollupDimensions?, redact? }`. */
export function readConfig(path: string): Partial<StartOptions> & { sites?: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read config ${path}: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`config ${path} must be a JSON object`);
  const unknown = Object.keys(value).filter((key) => !CONFIG_KEYS.includes(key));
  if (unknown.length > 0) throw new Error(`config ${path} has unknown keys: ${unknown.join(', ')}`);
  return value as Partial<StartOptions> & { sites?: unknown };
}
