import { beforeEach, describe, expect, it } from 'vitest';
import { createIdentity, type IdentityOptions } from '../src/identity.js';
import { memoryKV } from '../src/kv.js';

const MIN = 60_000;
let ids = 0;
const base = (overrides: Partial<IdentityOptions> = {}): IdentityOptions => ({
  _kv: memoryKV(),
  _writable: true,
  _timeoutMs: 30 * MIN,
  _newId: () => `id-${++ids}`,
  _onError: (error) => {
    throw error;
  },
  ...overrides,
});
const at = (h: number, m = 0) => new Date(2026, 10, 22, h, m).getTime();
const PAGE = 'https://shop.test/';
/** The campaign key the tracker passes: source|medium|campaign, empty without UTM. */
const campaignOf = (href: string) => {
  const p = new URL(href).searchParams;
  return p.has('utm_source') || p.has('utm_medium') || p.has('utm_campaign')
    ? `${p.get('utm_source') ?? undefined}|${p.get('utm_medium') ?? undefined}|${p.get('utm_campaign') ?? undefined}`
    : '';
};

beforeEach(() => {
  ids = 0;
});

describe('sessions', () => {
  it.each([
    ['a first visit', [[at(10), PAGE, '']], ['new']],
    [
      'activity within the timeout',
      [
        [at(10), PAGE, ''],
        [at(10, 29), PAGE, ''],
      ],
      ['new', undefined],
    ],
    [
      '30 minutes of inactivity',
      [
        [at(10), PAGE, ''],
        [at(10, 31), PAGE, ''],
      ],
      ['new', 'idle'],
    ],
    [
      'local midnight',
      [
        [at(23, 50), PAGE, ''],
        [new Date(2026, 10, 23, 0, 5).getTime(), PAGE, ''],
      ],
      ['new', 'midnight'],
    ],
    [
      'a new campaign',
      [
        [at(10), PAGE, ''],
        [at(10, 5), `${PAGE}?utm_source=news&utm_campaign=nov`, ''],
      ],
      ['new', 'campaign'],
    ],
    [
      'the same campaign again',
      [
        [at(10), `${PAGE}?utm_campaign=a`, ''],
        [at(10, 5), `${PAGE}x?utm_campaign=a`, ''],
      ],
      ['new', undefined],
    ],
    [
      'a page without UTM after a campaign',
      [
        [at(10), `${PAGE}?utm_campaign=a`, ''],
        [at(10, 5), `${PAGE}b`, ''],
      ],
      ['new', undefined],
    ],
  ] as const)('%s', (_name, touches, expected) => {
    const identity = createIdentity(base());
    const splits = touches.map(([now, href, ref]) => {
      const split = identity._touch(now, href, ref, campaignOf(href));
      identity._nextSeq();
      return split;
    });
    expect(splits).toEqual(expected);
  });

  it('starts a new session when a page load arrives from another external referrer', () => {
    const kv = memoryKV();
    const first = createIdentity(base({ _kv: kv }));
    expect(first._touch(at(10), PAGE, 'https://google.com/', campaignOf(PAGE))).toBe('new');
    first._nextSeq();
    // A new page load (new tracker) in the same session, from another site.
    const second = createIdentity(base({ _kv: kv }));
    expect(second._touch(at(10, 5), PAGE, 'https://news.ycombinator.com/', campaignOf(PAGE))).toBe('referrer');
    expect(second._sessionId).not.toBe(first._sessionId);
    // An internal navigation (referrer on our own host) continues it.
    const third = createIdentity(base({ _kv: kv }));
    expect(third._touch(at(10, 6), `${PAGE}b`, PAGE, campaignOf(`${PAGE}b`))).toBeUndefined();
    expect(third._sessionId).toBe(second._sessionId);
  });

  it('shares one session and distinct sequence numbers across tabs', () => {
    const kv = memoryKV();
    const tabA = createIdentity(base({ _kv: kv }));
    const tabB = createIdentity(base({ _kv: kv }));
    tabA._touch(at(10), PAGE, '', campaignOf(PAGE));
    const seqA = [tabA._nextSeq(), tabA._nextSeq()];
    tabB._touch(at(10, 1), PAGE, '', campaignOf(PAGE));
    const seqB = [tabB._nextSeq(), tabB._nextSeq()];
    expect(tabB._sessionId).toBe(tabA._sessionId);
    expect(tabB._visitorId).toBe(tabA._visitorId);
    expect(new Set([...seqA, ...seqB]).size).toBe(4);
  });

  it('joins the newer session another tab began (a campaign link opened in a new tab), with its own sequence numbers', () => {
    const kv = memoryKV();
    const tabA = createIdentity(base({ _kv: kv }));
    tabA._touch(at(10), PAGE, '', campaignOf(PAGE));
    const first = tabA._nextSeq();
    const tabB = createIdentity(base({ _kv: kv }));
    const AD = `${PAGE}?utm_source=ad&utm_campaign=x`;
    expect(tabB._touch(at(10, 1), AD, '', campaignOf(AD))).toBe('campaign');
    const seqB = [tabB._nextSeq(), tabB._nextSeq()];
    // Back in tab A: no split of its own, but the visitor's session is now tab B's, and stays so in storage.
    expect(tabA._touch(at(10, 2), PAGE, '', campaignOf(PAGE))).toBeUndefined();
    const seqA = tabA._nextSeq();
    expect(tabA._sessionId).toBe(tabB._sessionId);
    expect(tabA._sessionId).not.toBe('id-2');
    expect(JSON.parse(kv.get('tm_ses')!).id).toBe(tabB._sessionId);
    expect(new Set([...seqB, seqA]).size).toBe(3);
    expect(first).toBe(1);
  });

  it('keeps a session alive from another tab instead of splitting it', () => {
    const kv = memoryKV();
    const tabA = createIdentity(base({ _kv: kv }));
    const tabB = createIdentity(base({ _kv: kv }));
    tabA._touch(at(10), PAGE, '', campaignOf(PAGE));
    tabB._touch(at(10), PAGE, '', campaignOf(PAGE));
    tabB._touch(at(10, 25), PAGE, '', campaignOf(PAGE));
    tabB._touch(at(10, 50), PAGE, '', campaignOf(PAGE));
    // Tab A was idle 55 minutes itself, but tab B was active 5 minutes ago.
    expect(tabA._touch(at(10, 55), PAGE, '', campaignOf(PAGE))).toBeUndefined();
    expect(tabA._sessionId).toBe(tabB._sessionId);
  });
});

describe('persistence', () => {
  it('writes nothing while not writable, everything once persisted, and forgets on demand', () => {
    const kv = memoryKV();
    const identity = createIdentity(base({ _kv: kv, _writable: false }));
    identity._touch(at(10), PAGE, '', campaignOf(PAGE));
    identity._nextSeq();
    expect(kv.get('tm_vid')).toBeNull();
    expect(kv.get('tm_ses')).toBeNull();
    identity._persist(true);
    expect(kv.get('tm_vid')).toBe(identity._visitorId);
    expect(kv.get('tm_ses')).toContain(identity._sessionId);
    const visitor = identity._visitorId;
    identity._forget();
    expect(kv.get('tm_vid')).toBeNull();
    expect(identity._visitorId).not.toBe(visitor);
  });

  it('keeps working in memory when storage throws', () => {
    const errors: string[] = [];
    const broken = {
      get: () => {
        throw new Error('SecurityError');
      },
      set: () => {
        throw new Error('QuotaExceededError');
      },
      remove: () => undefined,
    };
    const identity = createIdentity(base({ _kv: broken, _onError: (_e, where) => errors.push(where) }));
    expect(identity._touch(at(10), PAGE, '', campaignOf(PAGE))).toBe('new');
    expect(identity._nextSeq()).toBe(1);
    expect(errors).toContain('storage');
  });
});
