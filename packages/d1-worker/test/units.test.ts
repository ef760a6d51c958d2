import { describe, expect, it } from 'vitest';
import { enrich, roleOf } from '../src/enrich.js';
import type { Env } from '../src/env.js';
import { compactLive, createLivePublisher, isGone, type LiveEvent } from '../src/live-client.js';
import { canMove } from '../src/video.js';

const liveEvent = (fields: Partial<LiveEvent>): LiveEvent => ({
  visitor_id: 'v',
  session_id: 's',
  type: 'click',
  ts: 0,
  url: 'https://a.example/',
  path: '/',
  title: null,
  gone: false,
  company: 'C',
  location: 'L',
  role: 'R',
  ...fields,
});

describe('compactLive', () => {
  it('keeps the last event of each run on one URL and every leave, in time order', () => {
    const events = [
      liveEvent({ ts: 3, url: 'https://a.example/b' }),
      liveEvent({ ts: 1 }),
      liveEvent({ ts: 2 }),
      liveEvent({ ts: 4, url: 'https://a.example/b' }),
      liveEvent({ ts: 5, gone: true, url: 'https://a.example/b' }),
      liveEvent({ ts: 6, url: 'https://a.example/b' }),
      liveEvent({ ts: 1, visitor_id: 'w' }),
      liveEvent({ ts: 2, visitor_id: 'w' }),
    ];
    expect(compactLive(events).map((e) => `${e.visitor_id}@${e.ts}`)).toEqual(['v@2', 'w@2', 'v@4', 'v@5', 'v@6']);
  });

  it('reads a page hide or a page leave as gone', () => {
    expect(isGone('page_visibility', { state: 'hidden' })).toBe(true);
    expect(isGone('page_visibility', { state: 'visible' })).toBe(false);
    expect(isGone('page_leave', undefined)).toBe(true);
    expect(isGone('click', { state: 'hidden' })).toBe(false);
  });
});

describe('createLivePublisher', () => {
  it('sends the events of every request in one window once, per site', async () => {
    const sent: [string, string[]][] = [];
    const publisher = createLivePublisher(20, async (_env, site, events) => {
      sent.push([site, events.map((e) => e.visitor_id)]);
    });
    const env = {} as Env;
    const first = publisher.publish(env, 'a', [liveEvent({ visitor_id: '1' })]);
    expect(publisher.publish(env, 'a', [liveEvent({ visitor_id: '2' })])).toBeUndefined();
    const other = publisher.publish(env, 'b', [liveEvent({ visitor_id: '3' })]);
    expect(publisher.publish(env, 'a', [])).toBeUndefined();
    await Promise.all([first, other]);
    expect(sent).toEqual([
      ['a', ['1', '2']],
      ['b', ['3']],
    ]);
    const next = publisher.publish(env, 'a', [liveEvent({ visitor_id: '4' })]);
    expect(next).toBeInstanceOf(Promise);
    await next;
    expect(sent.at(-1)).toEqual(['a', ['4']]);
  });
});

describe('video transitions', () => {
  it('allow invited → accepted | declined, accepted → completed, and a new invitation after the end', () => {
    expect(canMove(null, 'invited')).toBe(true);
    expect(canMove('invited', 'accepted')).toBe(true);
    expect(canMove('invited', 'declined')).toBe(true);
    expect(canMove('accepted', 'completed')).toBe(true);
    expect(canMove('declined', 'invited')).toBe(true);
    expect(canMove('completed', 'invited')).toBe(true);
    expect(canMove(null, 'accepted')).toBe(false);
    expect(canMove('declined', 'accepted')).toBe(false);
    expect(canMove('invited', 'completed')).toBe(false);
    expect(canMove('accepted', 'invited')).toBe(false);
  });
});

describe('enrich', () => {
  // ua-parser-js 1.x output names, mapped to the seed's labels ("Mac - Edge", "Windows - Chrome").
  it.each([
    [
      'Mac - Chrome',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    ],
    [
      'Mac - Edge',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
    ],
    [
      'Mac - Safari',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    ],
    ['Windows - Chrome', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'],
    [
      'Windows - Edge',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    ],
    ['Windows - Firefox', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'],
    [
      'iOS - Mobile Safari',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    ],
    [
      'Android - Chrome',
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    ],
    ['Linux - Chrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'],
    [
      'Chrome OS - Chrome',
      'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    ],
  ])('labels the role %s', (label, userAgent) => {
    expect(roleOf(userAgent)).toBe(label);
  });

  it('falls back to the seed’s unknown labels when the user agent names no OS or browser', () => {
    expect(roleOf(null)).toBe('Unknown Device - Unknown Browser');
    expect(roleOf('')).toBe('Unknown Device - Unknown Browser');
    expect(roleOf('curl/8.5.0')).toBe('Unknown Device - Unknown Browser');
  });

  it('prefers city and country, then the timezone, then the seed’s fallbacks', () => {
    expect(enrich({ city: 'Oslo', country: 'NO', timezone: 'Europe/Oslo', asOrganization: 'Telenor' }, null, 'x.example')).toMatchObject({
      company: 'Telenor',
      location: 'Oslo, NO',
    });
    expect(enrich({ country: 'NO' }, null, 'x.example').location).toBe('NO');
    expect(enrich({ timezone: 'Europe/Oslo', asOrganization: 42 }, null, 'x.example')).toMatchObject({
      company: 'x.example Visitor',
      location: 'Europe/Oslo',
    });
    expect(enrich(undefined, null, '')).toMatchObject({ company: 'Unknown Visitor', location: 'Unknown Location' });
  });
});
