import { type HttpTimeouts, startHttpServer } from '@trailmark/node-http';
import { createIngest, type Ingest, type IngestOptions } from './app.js';

/** Options of `startIngest()`: the handler's options plus where to listen. */
export interface StartOptions extends IngestOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Header and whole-request timeouts (default 8 s and 12 s: `DEFAULT_TIMEOUTS`). */
  timeouts?: HttpTimeouts;
}

/** A listening ingest server. */
export interface RunningIngest {
  url: string;
  port: number;
  ingest: Ingest;
  close(): Promise<void>;
}

/** Starts the HTTP server on `host:port`, with the shared server's header and body timeouts (`startHttpServer`). */
export async function startIngest(options: StartOptions): Promise<RunningIngest> {
  const ingest = await createIngest(options);
  const host = options.host ?? '127.0.0.1';
  const started = await startHttpServer({
    fetch: (request, env) => ingest.fetch(request, env),
    port: options.port ?? 0,
    host,
    ...options.timeouts,
  }).catch(async (error) => {
    await ingest.close();
    throw error;
  });
  return {
    url: started.url,
    port: started.port,
    ingest,
    async close() {
      await new Promise<void>((resolve) => {
        started.server.close(() => resolve());
        started.server.closeAllConnections();
      });
      await ingest.close();
    },
  };
}
