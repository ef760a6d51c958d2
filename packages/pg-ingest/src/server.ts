import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createIngest, type Ingest, type IngestOptions } from './app.js';
import type { RequestEnv } from './context.js';

/** Options of `startIngest()`: the handler's options plus where to listen. */
export interface StartOptions extends IngestOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/** A listening ingest server. */
export interface RunningIngest {
  url: string;
  port: number;
  ingest: Ingest;
  close(): Promise<void>;
}

/** Starts the HTTP server (Node, via @hono/node-server) on `host:port`. */
export async function startIngest(options: StartOptions): Promise<RunningIngest> {
  const ingest = await createIngest(options);
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve(
      { fetch: (request, env) => ingest.fetch(request, env as RequestEnv), port: options.port ?? 0, hostname: host },
      () => resolve(started),
    );
    started.once('error', reject);
  }).catch(async (error) => {
    await ingest.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    ingest,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await ingest.close();
    },
  };
}
