// The local front of the Worker: the Node server (`startHttpServer` of @trailmark/node-http, the one the other
// backends run on) between clients and workerd's socket. It stands where Cloudflare's edge stands for a deployed
// Worker: workerd's own HTTP layer answers malformed HTTP with 500/501 or a hang (docs/backends/d1-worker.md,
// "Running locally"), so Miniflare listening by itself would not hold the bar the Node servers hold.
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/** Methods the Worker's routes serve (it answers its own 404/405 for these); any other gets the front's JSON 405. */
const FORWARDED = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const ALLOW = 'GET, HEAD, POST, PATCH, OPTIONS';
/** Safe to send twice: retried once when workerd drops the connection before answering. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** The one route that upgrades (the live dashboard's WebSocket), matched on the raw target: `//x/api/live` is not it. */
const LIVE_ROUTE = /^\/api\/live(?:\?|$)/;
// Hop-by-hop headers, and those the forwarding request sets itself.
const HOP_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
  'te',
  'trailer',
  'content-length',
]);

/**
 * Starts the front on `port` for the Worker at `workerdUrl`. What it holds to, as the Node servers do:
 * - only the Worker is ever fetched: a request's path and query go to workerd's own origin, so a `//host/…` path or
 *   an absolute-form target is a path on the Worker, never another host (it was an open proxy);
 * - only `GET /api/live` with `Upgrade: websocket` is tunnelled; startHttpServer serves any other upgrade request
 *   as the same request without its upgrade headers, inside the same timeouts (a trickled body gets its 408);
 * - a method the Worker does not serve (`TRACE`, `M-SEARCH`, …) gets a JSON 405;
 * - requests to workerd queue on at most `connections` kept-alive sockets (a burst of 200 reads was answered 503
 *   when workerd closed kept-alive sockets under it), an idempotent one is retried once when workerd drops its
 *   socket before answering, and a 503 with `Retry-After` is left only for a Worker that really did not answer,
 *   with the cause passed to `log`.
 */
export async function startFront(workerdUrl, { port = 0, connections = 8, log = (line) => console.error(line) } = {}) {
  const { DEFAULT_TIMEOUTS, rawHead, startHttpServer } = await import('@trailmark/node-http');
  const { errorResponse, MAX_DRAIN_BYTES } = await import('@trailmark/protocol');
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const workerd = { host: workerdUrl.hostname, port: Number(workerdUrl.port) };
  const unavailable = (what, error) => {
    log(`trailmark d1-worker front: the local Worker did not answer ${what}: ${error.code ?? ''} ${error.message}`);
    return errorResponse('unavailable', 'the local Worker did not answer; retry later', { 'retry-after': '1' });
  };

  const handshakeMs = DEFAULT_TIMEOUTS.requestTimeoutMs;
  const front = await startHttpServer({
    host: '127.0.0.1',
    port,
    // Only the live route upgrades; startHttpServer serves any other upgrade request as the plain request.
    upgrade(request, socket, head) {
      if (!isLiveHandshake(request)) return false;
      const requestHead = rawHead(request, { host: `${workerd.host}:${workerd.port}` });
      tunnel(requestHead, socket, head, workerd, handshakeMs, (error) => {
        const refusal = unavailable('a live WebSocket handshake', error);
        refusal.text().then((text) => endWith(socket, refusal.status, 'Service Unavailable', text, { 'retry-after': '1' }));
      });
      return true;
    },
    async fetch(request) {
      if (!FORWARDED.has(request.method)) {
        return errorResponse('method_not_allowed', `${request.method.slice(0, 32)} is not served; use ${ALLOW}`, { allow: ALLOW });
      }
      const url = new URL(request.url);
      const path = `${url.pathname}${url.search}`;
      const body = request.body ? await readUpTo(request.body, MAX_DRAIN_BYTES) : undefined;
      if (body === null) {
        return errorResponse('payload_too_large', `body is over the ${MAX_DRAIN_BYTES}-byte limit`, { connection: 'close' });
      }
      const headers = {};
      for (const [name, value] of request.headers) if (!HOP_HEADERS.has(name)) headers[name] = value;
      if (body) headers['content-length'] = String(body.byteLength);
      let answer;
      try {
        answer = await forward(agent, workerd, { method: request.method, path, headers, body });
      } catch (error) {
        return unavailable(`${request.method} ${url.pathname.slice(0, 100)}`, error);
      }
      const out = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) {
        if (HOP_HEADERS.has(name) || value === undefined) continue;
        for (const one of Array.isArray(value) ? value : [value]) out.append(name, one);
      }
      const empty = request.method === 'HEAD' || answer.status === 204 || answer.status === 304;
      return new Response(empty ? null : answer.body, { status: answer.status, headers: out });
    },
  });
  const { server } = front;
  server.on('close', () => agent.destroy());
  return front;
}

/** Sends one request to workerd and reads its whole answer; an idempotent one is sent again once on a dropped socket. */
async function forward(agent, workerd, options) {
  try {
    return await once(agent, workerd, options);
  } catch (error) {
    // A dropped socket before any answer: the Worker may not have seen the request (a kept-alive socket workerd
    // closed as it was reused), or may have (an idempotent request is safe to send twice anyway).
    if (!error.beforeAnswer || !(IDEMPOTENT.has(options.method) || error.reusedSocket)) throw error;
    return once(agent, workerd, options);
  }
}

function once(agent, workerd, { method, path, headers, body }) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest({ agent, ...workerd, method, path, headers }, (response) => {
      answered = true;
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', (error) => {
      error.beforeAnswer = !answered;
      error.reusedSocket = outgoing.reusedSocket;
      reject(error);
    });
    outgoing.end(body);
  });
}

function isLiveHandshake(request) {
  const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  return (
    request.method === 'GET' && LIVE_ROUTE.test(request.url ?? '') && request.headers.upgrade?.toLowerCase() === 'websocket' && !hasBody
  );
}

/**
 * Tunnels the live WebSocket handshake to workerd. Until workerd answers it, the request's timeout applies; a 101
 * joins the two sockets; any other answer (a refused key) is passed on and the connection closed, as the front's
 * own errors close it. `fail` answers when workerd cannot be reached or does not answer in time.
 */
function tunnel(requestHead, socket, head, workerd, timeoutMs, fail) {
  const upstream = connect(workerd.port, workerd.host);
  let received = Buffer.alloc(0);
  let settled = false;
  const settle = (error) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    upstream.off('data', onData);
    if (error) {
      upstream.destroy();
      fail(error);
    }
  };
  const timer = setTimeout(() => settle(Object.assign(new Error('no handshake answer in time'), { code: 'ETIMEDOUT' })), timeoutMs);
  const onData = (chunk) => {
    received = Buffer.concat([received, chunk]);
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) {
      if (received.length > 64 * 1024) settle(new Error('an answer head over 64 KiB'));
      return;
    }
    const headText = received.subarray(0, end).toString('latin1');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0);
    if (status === 101) {
      settle();
      socket.write(received);
      upstream.pipe(socket);
      socket.pipe(upstream);
      return;
    }
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
    const chunked = /\r\ntransfer-encoding: *chunked/i.test(headText);
    const body = received.subarray(end + 4);
    if (chunked ? !body.includes('0\r\n\r\n') : body.length < length) return;
    settle();
    upstream.destroy();
    const lines = headText.split('\r\n').filter((line) => !/^(connection|keep-alive):/i.test(line));
    socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\nconnection: close\r\n\r\n`, 'latin1'), body]));
  };
  upstream.on('data', onData);
  upstream.on('connect', () => {
    upstream.write(requestHead);
    if (head.length > 0) upstream.write(head);
  });
  upstream.on('error', (error) => (settled ? socket.destroy() : settle(error)));
  upstream.on('close', () => (settled ? socket.end() : settle(new Error('workerd closed the connection'))));
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => {
    settle();
    upstream.destroy();
  });
}

/** Writes a JSON answer on a raw socket and closes it. */
function endWith(socket, status, reason, body, headers = {}) {
  if (!socket.writable) return socket.destroy();
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra.join('')}connection: close\r\n\r\n${body}`,
  );
}

/** The whole body, or null when it is over `limit` bytes (read no further). */
async function readUpTo(stream, limit) {
  const chunks = [];
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.byteLength;
    if (bytes > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
