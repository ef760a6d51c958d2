import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpTimeouts, startHttpServer } from '@trailmark/node-http';
import { createReceiver, type Receiver, type ReceiverOptions } from './app.js';

/** Options of `startReceiver()`: the receiver's, plus the port (0 picks a free one). */
export interface StartOptions extends ReceiverOptions {
  /** Default 8787. */
  port?: number;
  /** Header and whole-request timeouts (default 8 s and 12 s: `DEFAULT_TIMEOUTS`). */
  timeouts?: HttpTimeouts;
}

/** A running receiver. */
export interface RunningReceiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  receiver: Receiver;
  /** Stops accepting, lets requests in flight finish (up to 5 s), ends live streams, closes the store. */
  close(): Promise<void>;
}

/** The only interface the receiver listens on: it is a local tool, put a proxy in front to expose it. */
export const HOST = '127.0.0.1';

/** Starts a receiver on 127.0.0.1, with the shared server's header and body timeouts (`startHttpServer`). */
export async function startReceiver(options: StartOptions): Promise<RunningReceiver> {
  const receiver = createReceiver(options);
  let server: Server;
  try {
    // Slow-loris bodies are cut off by the request timeout; the live stream's connections are long-lived, but their
    // request is received at once (the timeouts bound receiving, not answering).
    ({ server } = await startHttpServer({
      fetch: (request) => receiver.fetch(request),
      port: options.port ?? 8787,
      host: HOST,
      ...options.timeouts,
    }));
  } catch (error) {
    await receiver.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}`,
    port,
    receiver,
    close() {
      closing ??= stop(server, receiver);
      return closing;
    },
  };
}

async function stop(server: Server, receiver: Receiver): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  receiver.endStreams();
  // Connections turn idle as their last answer (an ended stream, a request in flight) finishes: close each then.
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  const force = setTimeout(() => server.closeAllConnections(), 5000);
  // The store closes last, so a request still in flight finishes its transaction.
  await closed;
  clearInterval(sweep);
  clearTimeout(force);
  await receiver.close();
}
