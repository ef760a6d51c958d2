import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One scripted answer of the proxy to a batch, given instead of forwarding it. */
export interface Fault {
  status: 500 | 502 | 503 | 429 | 413 | 408;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
}

/** A batch request as the proxy saw it. */
export interface ProxiedBatch {
  at: number;
  ids: string[];
  bytes: number;
  /** `Sec-Fetch-Mode`: `cors` for the SDK's fetch, `no-cors` for `navigator.sendBeacon`. */
  mode: string;
  /** The page's origin (`Origin`), which tells a late request of an earlier test's page from this test's. */
  origin: string;
  /** The status the page got: a scripted fault, or the receiver's own answer (0 when the page never got one). */
  status: number;
  /** True when the proxy answered itself (a scripted fault or the too-large rule). */
  injected: boolean;
  /** From the receiver's answer: ids it inserted now, and ids it had already. */
  accepted: string[];
  duplicates: string[];
}

/** Options of `startFaultProxy()`. */
export interface FaultProxyOptions {
  port: number;
  /** The receiver, e.g. `http://127.0.0.1:18787`. */
  target: string;
  /**
   * The browser origin the receiver knows the site by. The chaos pages live on another port (their CSP allows only
   * this proxy), so the proxy presents the site's origin upstream and hands the real one back in the CORS answer.
   */
  upstreamOrigin: string;
}

/**
 * A fault-injecting HTTP proxy in front of the reference receiver, scriptable from the test: answer the next
 * batches with 5xx/429/413, refuse batches over a size as a server with a small body limit would, hold requests for
 * a while, or stop listening altogether (connections refused) and come back. Everything else passes through byte
 * for byte. It logs every batch, and how many were in flight at once (one flusher per origin means one).
 */
export async function startFaultProxy(options: FaultProxyOptions) {
  const target = new URL(options.target);
  let script: Fault[] = [];
  let tooLargeOver: number | undefined;
  let delayMs = 0;
  let hangs = 0;
  /** Answers held open forever (`hang()`), ended when the proxy resets or closes. */
  const hung = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;
  const batches: ProxiedBatch[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const wake of waiters) wake();
  };

  const cors = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    return origin ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'retry-after', vary: 'Origin' } : {};
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer | undefined,
    onAnswer?: (status: number, text: string) => void,
  ) => {
    const headers = { ...req.headers, host: target.host };
    if (headers.origin) headers.origin = options.upstreamOrigin;
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const text = Buffer.concat(chunks);
        const out = { ...answer.headers };
        if (out['access-control-allow-origin'] && req.headers.origin) out['access-control-allow-origin'] = req.headers.origin;
        delete out['transfer-encoding'];
        out['content-length'] = String(text.length);
        onAnswer?.(answer.statusCode ?? 0, text.toString('utf8'));
        res.writeHead(answer.statusCode ?? 502, out);
        res.end(text);
      });
    });
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'application/json', ...cors(req) });
      res.end(JSON.stringify({ ok: false, code: 'proxy', error: error.message }));
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    if (req.method !== 'POST' || !/\/(v1|track)\/batch$/.test(path)) {
      if (req.method === 'GET' || req.method === 'HEAD') return forward(req, res, undefined);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => forward(req, res, Buffer.concat(chunks)));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let ids: string[] = [];
      try {
        ids = (JSON.parse(body.toString('utf8')) as { events?: Array<{ event_id: string }> }).events?.map((e) => e.event_id) ?? [];
      } catch {
        // Not JSON: forwarded as it is, and the receiver says what is wrong with it.
      }
      const mode = String(req.headers['sec-fetch-mode'] ?? '');
      const entry: ProxiedBatch = {
        at: Date.now(),
        ids,
        bytes: body.length,
        mode,
        origin: String(req.headers.origin ?? ''),
        status: 0,
        injected: false,
        accepted: [],
        duplicates: [],
      };
      batches.push(entry);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        inFlight--;
        notify();
      };
      res.on('close', finish);
      notify();
      if (hangs > 0) {
        // Taken, never forwarded, never answered: the socket stays open (a captive portal, a half-open connection).
        hangs--;
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      }
      setTimeout(() => {
        const fault = script.shift() ?? (tooLargeOver !== undefined && ids.length > tooLargeOver ? ({ status: 413 } as Fault) : undefined);
        if (fault) {
          entry.status = fault.status;
          entry.injected = true;
          res.writeHead(fault.status, {
            'content-type': 'application/json',
            ...cors(req),
            ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}),
          });
          res.end(JSON.stringify({ ok: false, code: 'injected', error: `fault proxy: ${fault.status}` }));
          return;
        }
        forward(req, res, body, (status, text) => {
          entry.status = status;
          try {
            const answer = JSON.parse(text) as { accepted?: string[]; duplicates?: string[] };
            entry.accepted = answer.accepted ?? [];
            entry.duplicates = answer.duplicates ?? [];
          } catch {
            // An answer that is not JSON keeps empty lists; its status says enough.
          }
        });
      }, delayMs);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      if (server.listening) return resolve();
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const endHung = () => {
    for (const res of hung) res.destroy();
    hung.clear();
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      endHung();
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen();

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Every batch seen so far, in arrival order. */
    batches,
    /** The most batch requests that were open at the same moment. */
    get maxInFlight() {
      return maxInFlight;
    },
    /** Answers the next batches with these faults, one each, in order (before the too-large rule applies). */
    script(faults: Fault[]) {
      script = [...faults];
    },
    /** Answers 413 to every batch of more than `events` events (undefined: no limit). */
    tooLarge(events: number | undefined) {
      tooLargeOver = events;
    },
    /** Never answers the next `count` batches: each request stays open, as to a server that hangs, until reset or close. */
    hang(count: number) {
      hangs = count;
    },
    /** Holds each batch this long before answering (or forwarding) it. */
    delay(ms: number) {
      delayMs = ms;
    },
    /** Stops listening and drops every open connection: the server is down, connections are refused. */
    down: stop,
    /** Listens again (nothing to do when it is listening). */
    up: listen,
    /** Resolves when a batch matching `predicate` (given the batch and its index) has arrived, or rejects after `timeout` ms. */
    waitFor(predicate: (batch: ProxiedBatch, index: number) => boolean, timeout = 10_000): Promise<ProxiedBatch> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = batches.find((batch, index) => predicate(batch, index));
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fault proxy: no matching batch within ${timeout} ms (${batches.length} seen)`));
        }, timeout);
        waiters.add(check);
        check();
      });
    },
    /** Back to a transparent proxy with an empty log. */
    reset() {
      script = [];
      tooLargeOver = undefined;
      delayMs = 0;
      hangs = 0;
      endHung();
      maxInFlight = inFlight;
      batches.length = 0;
    },
    close: stop,
  };
}

/** What `startFaultProxy()` resolves to. */
export type FaultProxy = Awaited<ReturnType<typeof startFaultProxy>>;
