// The demo's command line: every option and environment variable `npm start` reads, its usage text, and the parser
// (both `--flag value` and `--flag=value`). Plain data first, so a backend is one entry in BACKENDS and one line of
// usage; no side effects: scripts/demo.mjs prints and exits.

/** The backends the site can send to: the folder under TM_DEMO_DATA each keeps its data in, and its port variable. */
export const BACKENDS = {
  reference: { data: 'demo', port: 'PORT_RECEIVER', about: 'the reference receiver (SQLite) and its live page' },
  postgres: { data: 'demo-pg', port: 'PORT_POSTGRES', about: 'the Postgres ingest server (DATABASE_URL, else embedded PGlite)' },
  d1: { data: 'demo-d1', port: 'PORT_D1', about: 'the Cloudflare Worker with D1, under Miniflare' },
  clickhouse: {
    data: 'demo-ch',
    port: 'PORT_CLICKHOUSE',
    about: 'a JetStream node, an ingest node and a loader over ClickHouse (CLICKHOUSE_URL, else embedded chDB)',
  },
};

/** The options: `value` names the argument an option takes (none for a switch). */
export const OPTIONS = [
  { flag: '--backend', value: Object.keys(BACKENDS).join('|'), about: 'where the site sends its events (default reference)' },
  { flag: '--reset', about: "delete the backend's demo data before starting (with DATABASE_URL: see below)" },
  { flag: '--memory', about: 'keep the reference receiver in memory (nothing kept across runs)' },
  { flag: '--site-only', about: 'serve the example site and the dashboard only' },
  { flag: '--receiver-only', about: 'run the reference receiver only' },
  { flag: '--no-build', about: 'start from what is built, without checking that the build is up to date' },
  { flag: '--help', about: 'print this and exit' },
];

/** The environment variables, with their defaults. */
export const ENVIRONMENT = [
  { name: 'PORT_SITE', fallback: '8080', about: 'the example site and the dashboard' },
  { name: 'PORT_RECEIVER', fallback: '8787', about: 'the reference receiver and its live page' },
  { name: 'PORT_POSTGRES', fallback: '8790', about: 'the Postgres ingest server (--backend postgres)' },
  { name: 'PORT_D1', fallback: '8788', about: 'the D1 Worker (--backend d1)' },
  { name: 'PORT_CLICKHOUSE', fallback: '8791', about: 'the ClickHouse ingest node and read API (--backend clickhouse)' },
  { name: 'DATABASE_URL', fallback: 'unset', about: 'a PostgreSQL server for --backend postgres; unset: embedded PGlite' },
  {
    name: 'CLICKHOUSE_URL',
    fallback: 'unset',
    about: 'a ClickHouse server for --backend clickhouse; unset: embedded chDB (installed on first use, ~570 MB)',
  },
  { name: 'TM_DEMO_DATA', fallback: '.data', about: 'the folder holding each backend’s data folder' },
];

/** The usage text: every option and environment variable. */
export function usage() {
  const width = 34;
  const lines = ['Usage: npm start -- [options]    (or: node scripts/demo.mjs [options])', '', 'Options (--flag value or --flag=value):'];
  for (const { flag, value, about } of OPTIONS) lines.push(`  ${(value ? `${flag} ${value}` : flag).padEnd(width)} ${about}`);
  lines.push('', 'Backends:');
  for (const [name, { about }] of Object.entries(BACKENDS)) lines.push(`  ${name.padEnd(width)} ${about}`);
  lines.push('', 'Environment:');
  for (const { name, fallback, about } of ENVIRONMENT) lines.push(`  ${`${name} (${fallback})`.padEnd(width)} ${about}`);
  lines.push(
    '',
    'Data stays across runs in TM_DEMO_DATA/demo, demo-pg, demo-d1 or demo-ch; --reset deletes that folder first. With',
    'DATABASE_URL the Postgres data is in that database, in schema trailmark_demo, which --reset drops (nothing else).',
    'Each start rebuilds only the packages whose sources changed since the last build.',
  );
  return lines.join('\n');
}

/**
 * Parses the arguments. Returns `{ options }` (`backend`, `reset`, `memory`, `siteOnly`, `receiverOnly`, `build`,
 * `help`) or `{ error }`, a sentence naming the argument that is wrong.
 */
export function parseArgs(argv) {
  const options = { backend: 'reference', reset: false, memory: false, siteOnly: false, receiverOnly: false, build: true, help: false };
  const switches = {
    '--reset': 'reset',
    '--memory': 'memory',
    '--site-only': 'siteOnly',
    '--receiver-only': 'receiverOnly',
    '--help': 'help',
    '-h': 'help',
  };
  const known = OPTIONS.map(({ flag }) => flag).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = flag === arg ? undefined : arg.slice(eq + 1);
    if (flag === '--backend') {
      const value = inline ?? argv[++i];
      if (value === undefined || !Object.hasOwn(BACKENDS, value))
        return { error: `--backend takes ${Object.keys(BACKENDS).join(', ')} (got ${value === undefined ? 'nothing' : value})` };
      options.backend = value;
    } else if (flag === '--no-build' && inline === undefined) options.build = false;
    else if (Object.hasOwn(switches, flag) && inline === undefined) options[switches[flag]] = true;
    else if (Object.hasOwn(switches, flag) || flag === '--no-build') return { error: `${flag} takes no value (got ${arg})` };
    else return { error: `unknown argument ${arg} (known: ${known})` };
  }
  if (options.siteOnly && options.receiverOnly) return { error: '--site-only and --receiver-only exclude each other' };
  return { options };
}

/** A port from the environment, or the default; `{ error }` when the variable holds no port number. */
export function portOf(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return { port: fallback };
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535) return { error: `${name} must be a port number, not ${raw}` };
  return { port: value };
}
