import { connect, type Socket } from 'node:net';

/** What one raw HTTP exchange saw. */
export interface RawExchange {
  /** Status of each answer on the connection, in order. */
  statuses: number[];
  /** The first answer's head and body, for a failure message. */
  first: string;
  /** Whether the first answer said `Connection: close`. */
  firstCloses: boolean;
  /** The first answer's body parsed as JSON (undefined when it is not JSON). */
  firstJson: unknown;
  /** The connection was reset (ECONNRESET, EPIPE) instead of ending cleanly. */
  reset: boolean;
  /** No end within the time allowed. */
  hung: boolean;
}

/**
 * Opens a connection, lets `talk` write on it, and reads until the server ends it (or `timeoutMs` passes): the
 * statuses of every answer, and whether the connection was reset under the client.
 */
function exchange(
  endpoint: string,
  timeoutMs: number,
  talk: (socket: Socket, host: string, finished: () => boolean) => void,
): Promise<RawExchange> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let reset = false;
    let done = false;
    const finish = (hung: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) [A-Z]/g)].map((match) => Number(match[1]));
      const head = text.split('\r\n\r\n')[0] ?? '';
      resolve({
        statuses,
        first: text.slice(0, 400),
        firstCloses: /\r\nconnection: *close/i.test(head),
        firstJson: jsonBodyOf(text, head),
        reset,
        hung,
      });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: Error & { code?: string }) => {
      reset = reset || error.code === 'ECONNRESET' || error.code === 'EPIPE';
      finish(false);
    });
    socket.on('end', () => finish(false));
    socket.on('connect', () => talk(socket, url.host, () => done));
  });
}

/** The body of the first answer in `text` (its head `head`), parsed as JSON; undefined when it is not JSON. */
function jsonBodyOf(text: string, head: string): unknown {
  let body = text.slice(head.length + 4);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
  if (length !== undefined) body = body.slice(0, Number(length));
  else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    let joined = '';
    for (let at = 0; ; ) {
      const line = body.indexOf('\r\n', at);
      const size = Number.parseInt(body.slice(at, line), 16);
      if (line < 0 || !(size > 0)) break;
      joined += body.slice(line + 2, line + 2 + size);
      at = line + 2 + size + 2;
    }
    body = joined;
  }
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * Writes `request` and then a well-formed `GET <follow>` on one connection, as a keep-alive client does, and reads
 * until the server ends it. Used for requests fetch cannot make (bad framing, odd methods, absolute URIs).
 */
export function rawExchange(endpoint: string, request: string | Uint8Array, follow: string, timeoutMs = 10_000): Promise<RawExchange> {
  return exchange(endpoint, timeoutMs, (socket, host) => {
    socket.write(request);
    socket.write(`GET ${follow} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, () => undefined);
  });
}

/** Requests that break HTTP in the ways seen in review, for any path: each must get a 4xx or close cleanly. */
export function malformedRequests(path: string, host: string): Array<[string, string | Uint8Array]> {
  const post = (headers: string, body = '{}') => `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers}\r\n${body}`;
  return [
    ['GET with Content-Length: 0', `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`],
    ['HEAD with Content-Length: 0', `HEAD ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`],
    ['Content-Length: abc', post('Content-Length: abc\r\n')],
    ['Content-Length: -1', post('Content-Length: -1\r\n')],
    ['a 20-digit Content-Length', post('Content-Length: 99999999999999999999\r\n')],
    ['Content-Length and chunked', post('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '2\r\n{}\r\n0\r\n\r\n')],
    ['a bad chunk size', post('Transfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n')],
    ['an absolute-URI target', `GET http://evil.example${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`],
    ['a garbage Host', `GET ${path} HTTP/1.1\r\nHost: %%%bad host%%\r\n\r\n`],
    ['a lower-case method', `post ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\n\r\n{}`],
    ['an unknown method', `FROB ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`],
    ['a valid but unused method', `PROPFIND ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`],
    ['a 1.1 MB body', post(`Content-Length: ${1_100_000}\r\nContent-Type: text/plain\r\n`, 'x'.repeat(1_100_000))],
  ];
}

/**
 * A client that keeps writing a large body after the answer may already have come, as a slow uplink does: the
 * headers and `first` bytes, a pause, then the rest in 64 KiB writes, then a second request on the connection.
 * A server that answers early and closes resets the connection under the writes (EPIPE); one that reads the body
 * to its end answers both requests.
 */
export function lateBodyExchange(endpoint: string, path: string, { total, first }: { total: number; first: number }): Promise<RawExchange> {
  return exchange(endpoint, 15_000, async (socket, host, finished) => {
    const write = (bytes: number) => new Promise<void>((done) => socket.write(Buffer.alloc(bytes, 0x78), () => done()));
    socket.write(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\nContent-Length: ${total}\r\n\r\n`);
    await write(first);
    await new Promise((wait) => setTimeout(wait, 300));
    for (let sent = first; sent < total && !finished(); sent += 64 * 1024) await write(Math.min(64 * 1024, total - sent));
    if (!finished()) socket.write(`GET /no/such/route HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}
