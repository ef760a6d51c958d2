import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where `nats-server` is looked for (Debian's package installs it in /usr/sbin). */
export function natsServerBinary(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];
  return candidates.find((path): path is string => typeof path === 'string' && existsSync(path));
}

/**
 * A free TCP port on 127.0.0.1 (bound and released: a tiny race, fine for tests and the demo). With
 * `TRAILMARK_PORTS=LOW-HIGH` in the environment it is one of that range (on a machine shared by several test runs,
 * each keeps to its own range), else one the system picks.
 */
export async function freePort(range = process.env.TRAILMARK_PORTS): Promise<number> {
  const bounds = /^(\d+)-(\d+)$/.exec(range ?? '');
  if (!bounds) return bind(0);
  const low = Number(bounds[1]);
  const span = Number(bounds[2]) - low + 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * span);
    const bound = await bind(port).catch(() => undefined);
    if (bound !== undefined) return bound;
  }
  throw new Error(`no free port in ${range}`);
}

function bind(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

/** A running nats-server with JetStream. */
export interface NatsNode {
  name: string;
  port: number;
  clusterPort: number | undefined;
  url: string;
  process: ChildProcess;
  /** SIGKILL (no goodbye to its peers). */
  kill(): void;
  /** Starts it again on the same ports and store directory. */
  restart(): Promise<void>;
  /** Stops it and removes its store directory. */
  close(): Promise<void>;
}

/** Options of `startNatsNode()`. */
export interface NatsNodeOptions {
  name?: string;
  port?: number;
  /** Cluster: this node's route port and the other nodes' route ports (all on 127.0.0.1). */
  cluster?: { name: string; port: number; routes: number[] };
  /** JetStream store directory (a temporary one, removed by `close()`, when omitted). */
  storeDir?: string;
}

/** Starts `nats-server -js` on 127.0.0.1 and waits until it accepts connections. */
export async function startNatsNode(options: NatsNodeOptions = {}): Promise<NatsNode> {
  const binary = natsServerBinary();
  if (!binary) throw new Error('nats-server not found (Debian: apt-get install nats-server; or set NATS_SERVER_BIN)');
  const port = options.port ?? (await freePort());
  const name = options.name ?? `tm-${port}`;
  const ownDir = !options.storeDir;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'trailmark-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '-n', name];
  if (options.cluster) {
    args.push('--cluster_name', options.cluster.name, '--cluster', `nats://127.0.0.1:${options.cluster.port}`);
    const routes = options.cluster.routes.filter((route) => route !== options.cluster?.port);
    if (routes.length > 0) args.push('--routes', routes.map((route) => `nats://127.0.0.1:${route}`).join(','));
  }
  const node: NatsNode = {
    name,
    port,
    clusterPort: options.cluster?.port,
    url: `127.0.0.1:${port}`,
    process: undefined as unknown as ChildProcess,
    kill() {
      node.process.kill('SIGKILL');
    },
    async restart() {
      node.process = await launch(binary, args, port);
    },
    async close() {
      if (node.process.exitCode === null && node.process.signalCode === null) {
        const exited = new Promise((resolve) => node.process.once('exit', resolve));
        node.process.kill('SIGTERM');
        await exited;
      }
      if (ownDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
  node.process = await launch(binary, args, port);
  return node;
}

async function launch(binary: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited: ${output}`);
    if (output.includes(`Listening for client connections on 127.0.0.1:${port}`) && output.includes('Server is ready')) return child;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
