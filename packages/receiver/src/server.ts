import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { errorResponse } from '@trailmark/protocol';
import { createReceiver, type Receiver, type ReceiverOptions } from './app.js';

/** Options of `startReceiver()`: the receiver's, plus the port (0 picks a free one). */
export interface StartOptions extends ReceiverOptions {
  /** Default 8787. */
  port?: number;
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

/** Starts a receiver on 127.0.0.1. */
export async function startReceiver(options: StartOptions): Promise<RunningReceiver> {
  const receiver = createReceiver(options);
  const listener = getRequestListener((request) => receiver.fetch(request), {
    hostname: HOST,
    // The adaptor fails before our handler only on requests it cannot turn into a `Request` (e.g. a bad URL).
    errorHandler: () => errorResponse('invalid_request', 'the request could not be read'),
  });
  const server = createServer(listener);
  server.on('clientError', answerClientError);
  // Slow-loris bodies are cut off; the live stream's connections are long-lived but send pings.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  try {
    await listen(server, options.port ?? 8787);
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

/**
 * Requests Node's HTTP parser refuses never reach the app (garbage, headers over 16 KiB): they still get a JSON
 * error saying what is wrong, rather than Node's empty default answer.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (error.code === 'ECONNRESET' && !socket.readable)) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify({
    ok: false,
    code: 'invalid_request',
    error: tooLarge ? 'the request headers are over the 16 KiB limit' : 'the request is not valid HTTP',
  });
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
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
