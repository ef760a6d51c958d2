import { describe, expect, it } from 'vitest';
import { CHANNEL_LABELS, type ChannelInput, channelOf } from '../src/channels.js';
import { classifySource } from '../src/referrer.js';

/** The channel of a landing: its referrer, its page URL and its UTM tags, as a visit's first event carries them. */
const channel = (referrer: string | null, utm: Omit<ChannelInput, 'source' | 'platform'> = {}) => {
  const tags = { ...(utm.utm_source ? { utm_source: utm.utm_source } : {}), ...(utm.utm_medium ? { utm_medium: utm.utm_medium } : {}) };
  return channelOf({ ...classifySource(referrer, 'https://shop.example/', tags), ...utm });
};

describe('channelOf: sources grouped into channels by the common rules (GA4, Plausible)', () => {
  it('counts utm_medium=email (and e-mail, newsletter) as Email, never as a referral', () => {
    expect(channel(null, { utm_source: 'spring-letter', utm_medium: 'email' })).toBe('email');
    expect(channel(null, { utm_medium: 'E-Mail' })).toBe('email');
    expect(channel(null, { utm_source: 'newsletter', utm_medium: 'newsletter' })).toBe('email');
    expect(channel(null, { utm_source: 'email' })).toBe('email');
    expect(channel('https://news.example.org/post', { utm_medium: 'email' })).toBe('email');
  });

  it('splits search and social into organic and paid by the medium', () => {
    expect(channel('https://www.google.com/')).toBe('search');
    expect(channel(null, { utm_source: 'google', utm_medium: 'cpc' })).toBe('paid_search');
    expect(channel(null, { utm_source: 'bing', utm_medium: 'ppc' })).toBe('paid_search');
    expect(channel('https://duckduckgo.com/', { utm_medium: 'paidsearch' })).toBe('paid_search');
    expect(channel('https://t.co/abc')).toBe('social');
    expect(channel(null, { utm_source: 'facebook', utm_medium: 'paid_social' })).toBe('paid_social');
    expect(channel(null, { utm_source: 'linkedin', utm_medium: 'cpc' })).toBe('paid_social');
  });

  it('names display, affiliates and other paid media, then direct and referral', () => {
    expect(channel(null, { utm_source: 'adnet', utm_medium: 'banner' })).toBe('display');
    expect(channel(null, { utm_source: 'adnet', utm_medium: 'cpm' })).toBe('display');
    expect(channel(null, { utm_source: 'partner', utm_medium: 'affiliate' })).toBe('affiliates');
    expect(channel(null, { utm_source: 'podcast', utm_medium: 'paid' })).toBe('paid_other');
    expect(channel(null)).toBe('direct');
    expect(channel('https://shop.example/other')).toBe('direct');
    expect(channel('https://news.example.org/post')).toBe('referral');
    expect(channel(null, { utm_source: 'partner-site' })).toBe('referral');
  });

  it('has a label for every channel', () => {
    expect(CHANNEL_LABELS).toMatchObject({ search: 'Organic search', paid_search: 'Paid search', email: 'Email', referral: 'Referral' });
  });
});
