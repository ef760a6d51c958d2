import { readFileSync } from 'node:fs';
import type { SiteConfig } from '@trailmark/node-http';
import type { IpMode } from './client-ip.js';
import type { StartOptions } from './server.js';

/** Parsed command line: the command, its flags (repeatable ones keep every value) and the site flags in order. */
export interface ParsedArgs {
  command: string;
  flags: Map<string, string[]>;
  /** `--site` opens a site; `--write-key`, `--read-key` and `--origin` after it belong to it. */
  sites: Array<Partial<SiteConfig> & { origins: string[] }>;
}

const BOOLEAN_FLAGS = new Set(['help', 'memory']);
// Spelled as the reference receiver spells them, so one command line works for both.
const ALIASES: Record<string, string> = { 'rate-limit': 'rate', 'rate-burst': 'burst' };

/** Splits `argv` (without node and script) into a command and flags; `--flag value` and `--flag=value` both work. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  if (argv.includes('--help') || argv.includes('-h')) return { command: 'help', flags: new Map(), sites: [] };
  // As with the reference receiver, flags alone mean `serve`.
  const [command = 'help', ...rest] = argv[0]?.startsWith('--') ? ['serve', ...argv] : argv;
  const flags = new Map<string, string[]>();
  const sites: ParsedArgs['sites'] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (BOOLEAN_FLAGS.has(name)) value = 'true';
    else {
      value = rest[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
    }
    name = ALIASES[name] ?? name;
    if (name === 'site') sites.push({ id: value, origins: [] });
    else if (name === 'write-key' || name === 'read-key' || name === 'origin') {
      const site = sites.at(-1);
      if (!site) throw new Error(`--${name} must follow a --site`);
      if (name === 'write-key') site.writeKey = value;
      else if (name === 'read-key') site.readKey = value;
      else site.origins.push(value);
    } else flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { command, flags, sites };
}

/** The JSON config file (`--config`): sites plus any server option, flags win over it. */
export interface ConfigFile extends Partial<Omit<StartOptions, 'db' | 'clock' | 'log'>> {
  sites?: SiteConfig[];
}

/** Reads a JSON config file, naming the file in any error. */
export function readConfigFile(path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read config ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`config ${path} must be a JSON object`);
  return parsed as ConfigFile;
}

function last(flags: Map<string, string[]>, name: string): string | undefined {
  return flags.get(name)?.at(-1);
}

function integer(flags: Map<string, string[]>, name: string): number | undefined {
  const raw = last(flags, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a non-negative integer`);
  return Number(raw);
}

/** Server options from the config file, the flags and the environment (`DATABASE_URL`), in rising precedence. */
export function serveOptions(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): StartOptions {
  const configPath = last(args.flags, 'config');
  const file: ConfigFile = configPath ? readConfigFile(configPath) : {};
  const sites = [...(file.sites ?? []), ...(args.sites as SiteConfig[])];
  if (sites.length === 0)
    throw new Error('no sites configured: pass --site ID --write-key pk_… --read-key sk_… [--origin URL] or --config FILE');
  const ip = last(args.flags, 'ip') ?? file.ip;
  if (ip !== undefined && !['truncate', 'full', 'none'].includes(ip)) throw new Error('--ip must be truncate, full or none');
  const insert = last(args.flags, 'insert') ?? file.insertStrategy;
  if (insert !== undefined && insert !== 'unnest' && insert !== 'json') throw new Error('--insert must be unnest or json');
  const etlSeconds = integer(args.flags, 'etl-interval');
  const rate = integer(args.flags, 'rate');
  const options: StartOptions = {
    ...file,
    sites,
    port: port(integer(args.flags, 'port') ?? file.port ?? 8790),
    host: last(args.flags, 'host') ?? file.host ?? '127.0.0.1',
    databaseUrl: last(args.flags, 'database-url') ?? env.DATABASE_URL ?? file.databaseUrl,
    dataDir: args.flags.has('memory') ? undefined : (last(args.flags, 'data-dir') ?? file.dataDir ?? '.data/pg-ingest'),
    etlIntervalMs: etlSeconds !== undefined ? etlSeconds * 1000 : (file.etlIntervalMs ?? 10_000),
    ip: (ip ?? 'truncate') as IpMode,
    insertStrategy: (insert ?? 'json') as 'unnest' | 'json',
  };
  const schema = last(args.flags, 'schema') ?? file.schema;
  if (schema !== undefined) options.schema = schema;
  const trust = last(args.flags, 'trust-proxy') ?? file.trustProxyHeader;
  if (trust !== undefined) options.trustProxyHeader = trust;
  const batch = integer(args.flags, 'etl-batch');
  if (batch !== undefined) options.etlBatchSize = batch;
  const inFlight = integer(args.flags, 'max-in-flight');
  if (inFlight !== undefined) options.maxInFlight = inFlight;
  if (rate !== undefined) options.rateLimit = { perSecond: rate, burst: integer(args.flags, 'burst') ?? rate * 2 };
  return options;
}

function port(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error('--port must be 0-65535');
  return value;
}

/** Where the database commands connect: `--database-url`, `DATABASE_URL`, else PGlite in `--data-dir`. */
export function databaseOptions(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env) {
  return {
    databaseUrl: last(args.flags, 'database-url') ?? env.DATABASE_URL,
    dataDir: last(args.flags, 'data-dir') ?? '.data/pg-ingest',
    schema: last(args.flags, 'schema'),
  };
}

export { integer as integerFlag, last as lastFlag };
