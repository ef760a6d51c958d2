import { describe, expect, it } from 'vitest';
import { storageProblem } from '../src/batch-route.js';
import {
  type DecodedMessage,
  decodeMessage,
  encodeMessage,
  eventIdsOf,
  eventRows,
  eventRowsBinary,
  eventRowsTsv,
  tsvArray,
  tsvField,
  VISIT_COLUMNS,
  visitRows,
  visitRowsTsv,
} from '../src/index.js';

const event = (n: number, session = 's1') => ({
  event_id: `0a1b2c3d-0000-4000-8000-00000000000${n}`,
  type: 'pageview',
  ts: 1_700_000_000_000 + n,
  site_id: 'site',
  visitor_id: 'v1',
  session_id: session,
  seq: n,
  url: 'https://shop.example/p',
  path: '/p',
});

/** One admitted request of two visits, as an ingest node hands it to `encodeMessage`. */
const request = {
  v: 1 as const,
  site: 'site',
  skewMs: 5,
  browser: 'Chrome',
  os: 'Android',
  device: 'mobile',
  events: [event(1), event(2), event(3, 's2')],
};

describe('log messages', () => {
  it("carry the events' rows and their visits' rows as bytes a loader inserts unparsed, and each visit's event count", () => {
    const encoded = encodeMessage(request);
    const decoded = decodeMessage(encoded);
    expect(decoded?.site).toBe('site');
    expect([...(decoded?.sessions ?? [])]).toEqual([
      ['s1', 2],
      ['s2', 1],
    ]);
    // The events' rows as `RowBinary` (their values' bytes: the loader tests read them back from ClickHouse).
    expect(decoded?.eventsFormat).toBe('RowBinary');
    expect(Buffer.from(decoded?.events ?? [])).toEqual(eventRowsBinary(eventRows(request)));
    expect(eventIdsOf(decoded as DecodedMessage)).toEqual([event(1).event_id, event(2).event_id, event(3).event_id]);
    // The visits' rows as `TabSeparated` lines too, columns `VISIT_COLUMNS`, each the visit's events in this request.
    expect(decoded?.visitsFormat).toBe('tsv');
    const visits = Buffer.from(decoded?.visits ?? [])
      .toString('utf8')
      .split('\n');
    expect(visits.pop()).toBe('');
    const column = (name: string) => VISIT_COLUMNS.indexOf(name as (typeof VISIT_COLUMNS)[number]);
    expect(
      visits.map((line) => line.split('\t')).map((f) => [f[column('session_id')], f[column('version')], f[column('pageviews')]]),
    ).toEqual([
      ['s1', '2', '2'],
      ['s2', '1', '1'],
    ]);
    expect(visits.join('\n')).toBe(visitRowsTsv(visitRows('site', eventRows(request))).trimEnd());
  });

  it('reads the events rows of a message of an ingest node before RowBinary: TabSeparated lines', () => {
    const encoded = Buffer.from(encodeMessage(request));
    const first = encoded.indexOf(10);
    const index = JSON.parse(encoded.subarray(0, first).toString()) as { ef?: string; eventBytes: number };
    const tsv = Buffer.from(eventRowsTsv(eventRows(request)));
    delete index.ef;
    const older = Buffer.concat([
      Buffer.from(`${JSON.stringify({ ...index, eventBytes: tsv.byteLength })}\n`),
      tsv,
      encoded.subarray(first + 1 + index.eventBytes),
    ]);
    const decoded = decodeMessage(older);
    expect(decoded).toMatchObject({ eventsFormat: 'TabSeparated', visitsFormat: 'tsv', current: true });
    expect(Buffer.from(decoded?.events ?? [])).toEqual(tsv);
    expect(tsv.toString('utf8').split('\n')[0]?.split('\t')).toEqual([
      'site',
      's1',
      event(1).event_id,
      'v1',
      'pageview',
      String(event(1).ts + 5),
      'Chrome',
      'Android',
      'mobile',
      JSON.stringify(event(1)),
    ]);
    expect(eventIdsOf(decoded as DecodedMessage)).toEqual([event(1).event_id, event(2).event_id, event(3).event_id]);
  });

  it('reads a message of the first version (a stream written before) into the same parts, and refuses a foreign body', () => {
    const v1 = Buffer.from(JSON.stringify({ v: 1, site: 'site', skewMs: 0, browser: 'Firefox', os: 'Linux', events: [event(1)] }));
    const decoded = decodeMessage(v1);
    expect([...(decoded?.sessions ?? [])]).toEqual([['s1', 1]]);
    expect(decoded?.events).toEqual(
      eventRowsBinary(eventRows({ v: 1, site: 'site', skewMs: 0, browser: 'Firefox', os: 'Linux', events: [event(1)] })),
    );
    // The format before the TSV rows: rows, visits and index as three lines of JSON.
    const message = {
      v: 1 as const,
      site: 'site',
      skewMs: 0,
      browser: 'Firefox',
      os: 'Linux',
      device: 'desktop',
      events: [event(1), event(2, 's2')],
    };
    const rows = eventRows(message);
    const lines = Buffer.from(
      `${JSON.stringify(rows)}\n${JSON.stringify(visitRows('site', rows))}\n${JSON.stringify({ site: 'site', sessions: ['s1', 's2'], counts: [1, 1] })}`,
    );
    const current = decodeMessage(encodeMessage(message));
    expect(current?.current).toBe(true);
    // Its visit rows are those of an older ingest node, as JSON: the loader rebuilds its visits (`current: false`).
    expect(decodeMessage(lines)).toEqual({
      ...current,
      events: Buffer.from(current?.events ?? []),
      visits: Buffer.from(JSON.stringify(visitRows('site', rows))),
      visitsFormat: 'json',
      current: false,
    });
    expect(decodeMessage(Buffer.from('{"hello":1}'))).toBeUndefined();
    expect(decodeMessage(Buffer.from('{"f":"tsv","site":"s","sessions":[],"counts":[],"eventBytes":99}\nshort[]'))).toBeUndefined();
    expect(decodeMessage(Buffer.from('[1]\n[2]\nnot json'))).toBeUndefined();
    expect(
      decodeMessage(Buffer.from('{"f":"tsv","vf":"tsv","site":"s","sessions":[],"counts":[],"eventBytes":0}\nno newline')),
    ).toBeUndefined();
  });
});

describe('tsvField', () => {
  it('escapes backslash, tab, newline and carriage return, writes null as \\N, and leaves the rest as it is', () => {
    expect(tsvField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(tsvField('\\N')).toBe('\\\\N');
    expect(tsvField(null)).toBe('\\N');
    expect(tsvField('plain "quoted" ünïcode')).toBe('plain "quoted" ünïcode');
  });
});

describe('tsvArray', () => {
  it('writes numbers as they read back and strings quoted, a quote, backslash, tab, newline and carriage return escaped', () => {
    expect(tsvArray([])).toBe('[]');
    expect(tsvArray([1, 0.1, 1e-7, -3])).toBe('[1,0.1,1e-7,-3]');
    expect(tsvArray(["a'b", 'c\\d', 'e\tf\ng\rh', 'ü 😀'])).toBe("['a\\'b','c\\\\d','e\\tf\\ng\\rh','ü 😀']");
    expect(() => tsvArray([Number.NaN])).toThrow(TypeError);
  });
});

describe('storageProblem', () => {
  it('refuses a lone surrogate anywhere in an event, and lets a pair or the typed text \\ud800 through', () => {
    for (const [text, refused] of [
      ['lone \ud800 surrogate', true],
      ['y\ud83d', true],
      ['\udc00x', true],
      ['typed \\\\\ud800', true],
      ['pair \ud83d\ude00', false],
      ['typed \\ud800 text', false],
      ['plain', false],
    ] as const) {
      expect({ text, refused: storageProblem({ ...event(1), title: text }) !== undefined }).toEqual({ text, refused });
      expect({ text, refused: storageProblem({ ...event(1), props: { a: { [text]: [1] } } }) !== undefined }).toEqual({ text, refused });
    }
  });
});
