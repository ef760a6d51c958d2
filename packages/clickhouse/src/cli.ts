import { parseArgs } from 'node:util';
import type { SiteConfig } from '@trailmark/node-http';
import { openChdbStore } from './chdb-store.js';
import { ingestWorkerPort, reportWorkerReady, runIngestWorkers } from './ingest-workers.js';
import { migrate } from './migrate.js';
import { freePort } from './nats-node.js';
import { serveStore } from './remote-store.js';
import { startClickhouse } from './server.js';

const USAGE = `trailmark-clickhouse: Trailmark's ClickHouse backend behind a NATS JetStream log

  trailmark-clickhouse serve   ingest node + loader(s) + read API in one process (embedded chDB unless a store is named)
  trailmark-clickhouse ingest  an ingest node (and the read API): publishes to the log, loads nothing
  trailmark-clickhouse loader  a loader: takes batches from the log, writes ClickHouse, acks
  trailmark-clickhouse store   owns an embedded chDB data directory and serves it to this machine's other processes

  --nats 127.0.0.1:4222[,host:port…]   the log's servers (default 127.0.0.1:4222)
  --replicas N                         replicas of the stream when this process creates it (default 1)
  --clickhouse-url URL                 a ClickHouse server (or CLICKHOUSE_URL)
  --store-url URL                      a chDB served by \`trailmark-clickhouse store\`
  --data-dir DIR                       embedded chDB's data (serve, store; default .data/clickhouse)
  --site ID --write-key PK --read-key SK [--origin URL…] | --sites '[{"id":…,"writeKey":…,"readKey":…,"origins":[…]}]'
  --port N --host 127.0.0.1            where the HTTP server (or the store) listens
  --loaders N                          loaders in a \`serve\` process (default 1)
  --ack-wait-ms N                      the consumer's ack wait when this process creates it (default 30000)
  --workers N                          ingest: N processes sharing the port (node:cluster; default 1). Needs
                                       --store-url or --clickhouse-url (embedded chDB is one process's)
  --batch-messages N                   log messages a loader inserts at once (default 1000; loaders sharing a
                                       stream each take up to this many ahead, so a small N spreads the work)
  --batch-bytes N                      bytes of messages a loader inserts at once (default 32 MiB)
  --hold-before-ack-ms N               fault injection: hold each loaded batch this long before acking`;

const OPTIONS = {
  nats: { type: 'string' },
  replicas: { type: 'string' },
  'clickhouse-url': { type: 'string' },
  'store-url': { type: 'string' },
  'data-dir': { type: 'string' },
  site: { type: 'string' },
  'write-key': { type: 'string' },
  'read-key': { type: 'string' },
  origin: { type: 'string', multiple: true },
  sites: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  loaders: { type: 'string' },
  'ack-wait-ms': { type: 'string' },
  'batch-messages': { type: 'string' },
  'batch-bytes': { type: 'string' },
  workers: { type: 'string' },
  'hold-before-ack-ms': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** The command line. `serve`, `ingest`, `loader` and `store` keep running until SIGINT/SIGTERM; returns the exit code. */
export async function main(argv: readonly string[], out = (line: string) => console.log(line), env = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
  } catch (error) {
    out(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'help';
  if (values.help || command === 'help') {
    out(USAGE);
    return 0;
  }
  const int = (raw: string | undefined, fallback: number) => (raw === undefined ? fallback : Number.parseInt(raw, 10));
  // Without --port: one of TRAILMARK_PORTS (a range of this run's own), else one the system picks.
  // A worker of an ingest tier (--workers) listens on the port its primary chose.
  const port = ingestWorkerPort() ?? (values.port ? int(values.port, 0) : env.TRAILMARK_PORTS ? await freePort(env.TRAILMARK_PORTS) : 0);
  const host = values.host ?? '127.0.0.1';
  if (command === 'store') {
    const store = openChdbStore(values['data-dir'] ?? '.data/clickhouse');
    await migrate(store);
    const served = await serveStore(store, port);
    out(`store listening on ${served.url}`);
    onStop(async () => {
      await served.close();
      await store.close();
    });
    return 0;
  }
  if (!['serve', 'ingest', 'loader'].includes(command)) {
    out(`unknown command ${command}\n\n${USAGE}`);
    return 2;
  }
  const sites = sitesOf(values);
  const clickhouseUrl = values['clickhouse-url'] ?? env.CLICKHOUSE_URL;
  const workers = int(values.workers, 1);
  if (workers > 1 && ingestWorkerPort() === undefined) {
    if (command !== 'ingest') {
      out('--workers is for `ingest` (loaders scale as separate `loader` processes)');
      return 2;
    }
    if (!clickhouseUrl && !values['store-url']) {
      out('--workers needs --store-url or --clickhouse-url: an embedded chDB data directory belongs to one process');
      return 2;
    }
    const tierPort = port || (await freePort());
    const tier = runIngestWorkers(workers, tierPort, out);
    await tier.ready;
    out(`ingest ready on http://${host}:${tierPort} (${workers} workers)`);
    onStop(() => tier.stop());
    return 0;
  }
  const running = await startClickhouse({
    sites,
    clickhouseUrl,
    storeUrl: values['store-url'],
    dataDir: values['data-dir'] ?? '.data/clickhouse',
    log: {
      servers: (values.nats ?? '127.0.0.1:4222').split(','),
      replicas: int(values.replicas, 1),
      ackWaitMs: int(values['ack-wait-ms'], 30_000),
    },
    http: command !== 'loader',
    loaders: command === 'serve' ? int(values.loaders, 1) : command === 'loader' ? 1 : 0,
    loader: {
      holdBeforeAckMs: int(values['hold-before-ack-ms'], 0),
      batchMessages: int(values['batch-messages'], 1000),
      batchBytes: int(values['batch-bytes'], 32 * 1024 * 1024),
      onBatch: (stage, events, messages, redelivered) =>
        out(`${stage} ${events} events (${messages} messages, ${redelivered} redelivered)`),
    },
    port,
    host,
  });
  if (ingestWorkerPort() !== undefined) reportWorkerReady();
  else out(`${command} ready${running.url ? ` on ${running.url}` : ''} (store: ${running.store.kind})`);
  onStop(() => running.close());
  return 0;
}

function sitesOf(values: {
  sites?: string | undefined;
  site?: string | undefined;
  'write-key'?: string | undefined;
  'read-key'?: string | undefined;
  origin?: string[] | undefined;
}): SiteConfig[] {
  if (values.sites) return JSON.parse(values.sites) as SiteConfig[];
  if (!values.site || !values['write-key'] || !values['read-key'])
    throw new Error('name a site: --site ID --write-key PK --read-key SK (or --sites JSON)');
  return [{ id: values.site, writeKey: values['write-key'], readKey: values['read-key'], origins: values.origin ?? [] }];
}

function onStop(stop: () => Promise<void>): void {
  const handler = () => {
    void stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
