import { describe, expect, it } from 'vitest';
import { classifySource, parseUtm } from '../src/index.js';

describe('classifySource', () => {
  it.each([
    ['https://www.google.co.uk/search?q=x', 'search', 'google'],
    ['https://duckduckgo.com/', 'search', 'duckduckgo'],
    ['https://t.co/abc', 'social', 'twitter'],
    ['https://www.linkedin.com/feed', 'social', 'linkedin'],
    ['https://news.ycombinator.com/item?id=1', 'social', 'hackernews'],
    ['https://web.telegram.org/k/', 'social', 'telegram'],
    ['https://t.me/somechannel', 'social', 'telegram'],
    ['https://blog.example.org/post', 'referral', 'blog.example.org'],
    ['', 'direct', null],
    ['https://shop.test/other', 'direct', null],
  ])('%s → %s/%s', (referrer, source, platform) => {
    expect(classifySource(referrer, 'https://shop.test/', {})).toMatchObject({ source, platform });
  });

  it('falls back to utm_source when there is no referrer', () => {
    expect(classifySource('', null, { utm_source: 'facebook' })).toMatchObject({ source: 'social', platform: 'facebook' });
    expect(classifySource('', null, { utm_source: 'newsletter', utm_medium: 'email' })).toMatchObject({ source: 'referral' });
  });
});

describe('parseUtm', () => {
  it('reads the five UTM parameters and ignores bad URLs', () => {
    expect(parseUtm('https://a.test/?utm_source=x&utm_campaign=y&other=1')).toEqual({ utm_source: 'x', utm_campaign: 'y' });
    expect(parseUtm('not a url')).toEqual({});
  });
});
