import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { errorResponse } from '@trailmark/protocol';

/** The socket-level limits of a server, in ms. */
export interface HttpTimeouts {
  /** Time to receive a request's headers (default 8 s). */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, headers and body (default 12 s): a slow-loris body is cut off after it. */
  requestTimeoutMs?: number;
  /** How often Node checks the two above (default 1 s; Node's own default of 30 s lets them run over by that much). */
  checkIntervalMs?: number;
}

/** Options of `startHttpServer()`. */
export interface HttpServerOptions extends HttpTimeouts {
  /** The app: a Fetch API handler; `env` carries the Node request as `incoming` (for the socket peer). */
  fetch(request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }): Promise<Response> | Response;
  port: number;
  host: string;
  /**
   * Takes an upgrade request the app serves itself (a WebSocket route), returning true when it took the socket.
   * Every other upgrade request is served as the same request without its upgrade headers.
   */
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/** A listening server. */
export interface HttpServer {
  server: Server;
  port: number;
  /** `http://host:port`, with an IPv6 host in brackets. */
  url: string;
}

/** The timeouts every Trailmark Node server runs with unless told otherwise (docs/protocol.md, "Timeouts"). */
export const DEFAULT_TIMEOUTS = { headersTimeoutMs: 8000, requestTimeoutMs: 12_000, checkIntervalMs: 1000 } as const;

/**
 * Starts a Node HTTP server for a Fetch API app, with what every Trailmark server needs below the app: header and
 * whole-request timeouts checked every second (100 clients trickling a body at 1 B/s cannot hold their connections),
 * and a JSON error for requests Node's parser refuses or the adaptor cannot turn into a `Request` (a bad URL),
 * instead of Node's empty answer.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...definedOnly(options) };
  const listener = getRequestListener(options.fetch as Parameters<typeof getRequestListener>[0], {
    hostname: options.host,
    errorHandler: () => errorResponse('invalid_request', 'the request could not be read'),
  });
  const server = createServer({ connectionsCheckingInterval: timeouts.checkIntervalMs }, listener);
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.on('clientError', answerClientError);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (options.upgrade?.(request, socket, head)) return;
    // Node hands an upgrade request over with its socket, outside the request timeouts, and without a listener
    // leaves the next request on the connection unanswered: it is served as an ordinary request instead, its head
    // without the upgrade headers handed back to the server as a new connection (parsed, timed and kept alive as
    // every other).
    socket.unshift(Buffer.concat([Buffer.from(rawHead(request, { drop: ['upgrade', 'http2-settings'] }), 'latin1'), head]));
    server.emit('connection', socket);
  });
  // Without a listener Node destroys a CONNECT request's socket: a reset, where every other method gets an answer.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    endWithJson(socket, '405 Method Not Allowed', 'method_not_allowed', 'CONNECT is not served here');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { server, port, url: `http://${host}:${port}` };
}

/**
 * A request's head as it came (`rawHeaders`, in order), without the `drop` headers (dropping `upgrade` also takes
 * the `upgrade` token out of `Connection`), and with `Host` replaced when `host` is given.
 */
export function rawHead(request: IncomingMessage, { drop = [], host }: { drop?: string[]; host?: string }): string {
  const lines = [`${request.method} ${request.url} HTTP/1.1`];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    if (drop.includes(lower) || (host && lower === 'host')) continue;
    if (lower === 'connection' && drop.includes('upgrade')) {
      const rest = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token && token.toLowerCase() !== 'upgrade');
      if (rest.length > 0) lines.push(`${name}: ${rest.join(', ')}`);
      continue;
    }
    lines.push(`${name}: ${value}`);
  }
  if (host) lines.push(`Host: ${host}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function definedOnly(options: HttpTimeouts): HttpTimeouts {
  return Object.fromEntries(
    (['headersTimeoutMs', 'requestTimeoutMs', 'checkIntervalMs'] as const)
      .filter((name) => options[name] !== undefined)
      .map((name) => [name, options[name]]),
  );
}

/**
 * Requests Node's HTTP parser refuses never reach the app (garbage, headers over 16 KiB, a request timed out): they
 * still get a JSON error saying what is wrong, and the connection closes.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (error.code === 'ECONNRESET' && !socket.readable)) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['431 Request Header Fields Too Large', 'the request headers are over the 16 KiB limit']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['408 Request Timeout', 'the request was not received in time']
        : ['400 Bad Request', 'the request is not valid HTTP'];
  endWithJson(socket, status, 'invalid_request', reason);
}

/** Writes a JSON error on a socket no request handler owns, and closes it. */
function endWithJson(socket: Duplex, status: string, code: string, reason: string): void {
  const body = JSON.stringify({ ok: false, code, error: reason });
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
