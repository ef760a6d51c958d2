import { createServer, type Socket } from 'node:net';
import { SITE } from './backends.js';
import { malformedRequests, rawExchange } from './raw-http.js';

/** A listener that must receive nothing: where a `//host/…` path or an absolute target would send a request. */
export interface Trap {
  /** `host:port` to name in hostile requests. */
  authority: string;
  /** What reached it (one entry per connection: its first bytes). */
  received: string[];
  close(): Promise<void>;
}

/** Starts a trap on a free port of 127.0.0.1. */
export async function startTrap(): Promise<Trap> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    received.push('');
    const index = received.length - 1;
    socket.on('data', (chunk) => {
      received[index] = `${received[index]}${String(chunk)}`.slice(0, 300);
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    authority: `127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One hostile request of `hostileRouteRequests`: a raw HTTP/1.1 request and what it must get. */
export interface RouteCase {
  name: string;
  request: string;
  /** The status it must get; undefined: any 4xx (or 2xx for an ordinary request), never a 5xx. */
  status?: number;
}

const keyHeaders = `Authorization: Bearer ${SITE.readKey}\r\nX-Trailmark-Key: ${SITE.writeKey}\r\n`;

/** The ordinary GET of a route with the read key, what an upgrade request of `hostileRouteRequests` is held to. */
export const plainRequest = (route: string, host: string) =>
  `GET ${route} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${SITE.readKey}\r\n`;

/**
 * The hostile requests of review 27 for one route: a `//host` path and an absolute-form target naming the trap (with
 * both keys in headers, which an open proxy would forward), `Connection: Upgrade` on a route that does not upgrade,
 * and methods no route serves (`TRACE`, `M-SEARCH`, `PROPFIND`, `CONNECT` to the trap).
 */
export function hostileRouteRequests(route: string, host: string, trap: string): RouteCase[] {
  const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${keyHeaders}${extra}\r\n`;
  const upgrade = (extra: string) => `${plainRequest(route, host)}${extra}\r\n`;
  const cases: RouteCase[] = [
    { name: `GET //${trap}${route}`, request: get(`//${trap}${route}`) },
    { name: `GET ///${trap}${route}`, request: get(`///${trap}${route}`) },
    { name: `GET http://${trap}${route}`, request: get(`http://${trap}${route}`) },
    {
      name: 'Upgrade: h2c',
      request: upgrade('Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n'),
    },
    { name: 'TRACE', request: `TRACE ${route} HTTP/1.1\r\nHost: ${host}\r\n${keyHeaders}\r\n` },
    { name: 'M-SEARCH', request: `M-SEARCH ${route} HTTP/1.1\r\nHost: ${host}\r\nMan: "ssdp:discover"\r\nST: ssdp:all\r\n\r\n` },
    { name: 'PROPFIND', request: `PROPFIND ${route} HTTP/1.1\r\nHost: ${host}\r\n${keyHeaders}Content-Length: 0\r\n\r\n` },
    { name: `CONNECT ${trap}`, request: `CONNECT ${trap} HTTP/1.1\r\nHost: ${trap}\r\n${keyHeaders}\r\n` },
  ];
  // `Upgrade: websocket` is a real handshake on a live route; anywhere else it is an ordinary request.
  if (!/live/.test(route)) {
    cases.push({
      name: 'Upgrade: websocket',
      request: upgrade(
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
      ),
    });
  }
  return cases;
}

/** A batch POST that asks to upgrade: it must be stored and answered as the same POST without the headers. */
export function upgradingBatch(path: string, host: string, body: string): string {
  return `POST ${path}?key=${SITE.writeKey} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The route the checks below follow each hostile request with: a health route of `routes`, else `/`. */
const followUp = (routes: readonly string[]) => routes.find((route) => /health/.test(route)) ?? '/';

/**
 * Sends `malformedRequests` to every route of a server: each must get a 4xx (or a clean close), never a 5xx, a
 * reset or a hang, and the connection must carry the next request or say it closes. Answers the problems found.
 */
export async function malformedProblems(endpoint: string, routes: readonly string[]): Promise<string[]> {
  const host = new URL(endpoint).host;
  const problems: string[] = [];
  for (const route of routes) {
    for (const [name, request] of malformedRequests(route, host)) {
      const seen = await rawExchange(endpoint, request, followUp(routes));
      const [first] = seen.statuses;
      const clean = !seen.reset && !seen.hung && first !== undefined && first < 500;
      // Either the connection carried the next request, or the answer said it would close.
      const next = seen.statuses.length >= 2 || seen.firstCloses;
      if (!clean || !next) problems.push(`${route}: ${name} → ${JSON.stringify({ ...seen, first: seen.first.slice(0, 160) })}`);
    }
  }
  return problems;
}

/**
 * Sends `hostileRouteRequests` to every route of a server: each must get an answer below 500, an error in the JSON
 * shape, and an upgrade request the answer it gets without the upgrade. Answers the problems found (what reached
 * the trap is the caller's to check).
 */
export async function hostileRouteProblems(endpoint: string, routes: readonly string[], trap: string): Promise<string[]> {
  const host = new URL(endpoint).host;
  const problems: string[] = [];
  for (const route of routes) {
    const plain = await rawExchange(endpoint, `${plainRequest(route, host)}\r\n`, followUp(routes));
    for (const hostile of hostileRouteRequests(route, host, trap)) {
      const seen = await rawExchange(endpoint, hostile.request, followUp(routes));
      const [status] = seen.statuses;
      const json = seen.firstJson as { ok?: unknown; code?: unknown } | undefined;
      const problem =
        seen.reset || seen.hung || status === undefined
          ? 'no answer'
          : status >= 500
            ? '5xx'
            : status >= 400 && (json?.ok !== false || typeof json.code !== 'string')
              ? 'an error that is not JSON'
              : hostile.name.startsWith('Upgrade') && status !== plain.statuses[0]
                ? `not the answer without the upgrade (${plain.statuses[0]})`
                : undefined;
      if (problem) problems.push(`${route}: ${hostile.name} → ${problem}: ${seen.first.slice(0, 160)}`);
    }
  }
  return problems;
}
