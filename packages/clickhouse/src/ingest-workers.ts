import cluster, { type Worker } from 'node:cluster';

/** The environment variable that hands a worker the port its primary chose (all workers share it). */
const PORT_ENV = 'TRAILMARK_INGEST_PORT';

/** Whether this process is a worker of `runIngestWorkers`, and the port it must listen on. */
export function ingestWorkerPort(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const port = Number(process.env[PORT_ENV]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** Tells the primary this worker listens (it prints `ready` once every worker has). */
export function reportWorkerReady(): void {
  process.send?.({ trailmark: 'ready' });
}

/** A running set of ingest workers. */
export interface IngestWorkers {
  /** Resolves once every worker listens. */
  ready: Promise<void>;
  /** Stops every worker (SIGTERM: each closes its connections) and stops restarting them. */
  stop(): Promise<void>;
}

/**
 * Runs `count` ingest nodes as processes sharing one port (node:cluster: the primary accepts connections and hands
 * them to the workers in turn), so one host's ingest tier uses every core — an ingest node is one JavaScript thread,
 * and the architecture allows any number of them. The workers are this same program (`process.argv`), started again
 * with the port in their environment; one that dies is started again after a second, as a supervisor would. The
 * primary does no request work.
 */
export function runIngestWorkers(count: number, port: number, say: (line: string) => void): IngestWorkers {
  let stopping = false;
  let listening = 0;
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  const start = (): Worker => {
    const worker = cluster.fork({ [PORT_ENV]: String(port) });
    worker.on('message', (message: { trailmark?: string } | undefined) => {
      if (message?.trailmark === 'ready' && ++listening === count) resolveReady();
    });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      say(`ingest worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      setTimeout(() => {
        if (!stopping) start();
      }, 1000).unref();
    });
    return worker;
  };
  for (let i = 0; i < count; i++) start();
  return {
    ready,
    async stop() {
      stopping = true;
      await Promise.all(
        Object.values(cluster.workers ?? {}).map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (!worker || worker.isDead()) return resolve();
              worker.once('exit', () => resolve());
              worker.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
