import { beforeEach, describe, expect, it } from 'vitest';
import { type PageviewsOptions, pageviews } from '../../src/capture/index.js';
import { mount, stub } from './fake-tracker.js';

const origin = location.origin;
// The unpatched methods: they move the URL the way a browser's back button or fragment link does, unseen by any patch.
const rawReplace = (url: string) => History.prototype.replaceState.call(history, null, '', url);

/** Navigations as routers and browsers make them. */
const go = {
  push: (url: string) => history.pushState(null, '', url),
  replace: (url: string) => history.replaceState(null, '', url),
  /** Back/forward: the URL changes, then `popstate`. */
  pop: (url: string) => {
    rawReplace(url);
    dispatchEvent(new Event('popstate'));
  },
  /** A fragment link: `popstate`, then `hashchange`, as browsers fire them. */
  fragment: (url: string) => {
    rawReplace(url);
    dispatchEvent(new Event('popstate'));
    dispatchEvent(new Event('hashchange'));
  },
  /** A hash router's URL change seen only as `hashchange`. */
  hashchange: (url: string) => {
    rawReplace(url);
    dispatchEvent(new Event('hashchange'));
  },
};
/** happy-dom's PageTransitionEvent ignores `persisted`: the event carries it as browsers' do. */
const pageshow = (persisted: boolean) => Object.assign(new Event('pageshow'), { persisted });
type Step = [keyof typeof go, string];

beforeEach(() => rawReplace('/start'));

describe('pageviews: SPA navigation', () => {
  const cases: Array<{ name: string; options?: PageviewsOptions; steps: Step[]; views: Array<[string, string, string]> }> = [
    { name: 'push to a new path counts', steps: [['push', '/a']], views: [['push', '/a', '/start']] },
    { name: 'push to the same path counts nothing', steps: [['push', '/start']], views: [] },
    { name: 'push changing only the search counts nothing by path', steps: [['push', '/start?q=1']], views: [] },
    { name: 'replace keeping the key counts nothing', steps: [['replace', '/start?tab=2']], views: [] },
    { name: 'replace to a new key counts', steps: [['replace', '/b']], views: [['replace', '/b', '/start']] },
    { name: 'back/forward (popstate) counts', steps: [['pop', '/c']], views: [['pop', '/c', '/start']] },
    { name: 'a fragment link counts nothing without the hash option', steps: [['fragment', '/start#/x']], views: [] },
    {
      name: 'a fragment link counts once with the hash option',
      options: { hash: true },
      steps: [['fragment', '/start#/x']],
      views: [['hash', '/start', '/start']],
    },
    {
      name: 'hash routes seen through hashchange alone count, each new one once',
      options: { hash: true },
      steps: [
        ['hashchange', '/start#/x'],
        ['hashchange', '/start#/x'],
        ['hashchange', '/start#/y'],
      ],
      views: [
        ['hash', '/start', '/start'],
        ['hash', '/start', '/start#/x'],
      ],
    },
    {
      name: 'path+search counts a new search once',
      options: { key: 'path+search' },
      steps: [
        ['push', '/start?q=1'],
        ['push', '/start?q=1'],
        ['replace', '/start?q=2'],
      ],
      views: [
        ['push', '/start', '/start'],
        ['replace', '/start', '/start?q=1'],
      ],
    },
    {
      name: 'path+search+hash counts a pushed hash as a hash navigation',
      options: { key: 'path+search+hash' },
      steps: [['push', '/start#section']],
      views: [['hash', '/start', '/start']],
    },
    {
      name: 'the referrer is the previous in-app URL, search and replaces included',
      steps: [
        ['push', '/a?x=1'],
        ['replace', '/a?x=2'],
        ['push', '/b'],
        ['pop', '/a?x=2'],
      ],
      views: [
        ['push', '/a', '/start'],
        ['push', '/b', '/a?x=2'],
        ['pop', '/a', '/b'],
      ],
    },
  ];

  it.each(cases)('$name', ({ options, steps, views }) => {
    const tracker = mount(pageviews(options));
    expect(tracker.of('pageview').map((call) => call.props)).toEqual([{ navigation: 'load' }]);
    tracker.reset();
    for (const [how, url] of steps) go[how](url);
    expect(tracker.of('pageview').map((call) => [call.props?.navigation, call.path, call.context?.referrer])).toEqual(
      views.map(([navigation, path, referrer]) => [navigation, path, origin + referrer]),
    );
  });
});

describe('pageviews: page load, leave and restore', () => {
  it('counts the first load once, with the document referrer left to the core', () => {
    const tracker = mount(pageviews());
    expect(tracker.calls).toEqual([
      expect.objectContaining({ type: 'pageview', props: { navigation: 'load' }, context: undefined, path: '/start' }),
    ]);
  });

  it.each([
    ['a meta tag', '<meta name="robots" content="noindex" data-tm-404>'],
    ['an element', '<main data-tm-404><h1>Not found</h1></main>'],
  ])('marks a not-found page, said by %s, with not_found', (_, html) => {
    document.head.insertAdjacentHTML('beforeend', html);
    try {
      const tracker = mount(pageviews());
      expect(tracker.of('pageview')[0]!.props).toEqual({ navigation: 'load', not_found: true });
    } finally {
      document.querySelector('[data-tm-404]')!.remove();
    }
  });

  it('leaves not_found off an ordinary page', () => {
    const tracker = mount(pageviews());
    expect(tracker.of('pageview')[0]!.props).toEqual({ navigation: 'load' });
  });

  it('reports time on the left page before the next page view, with the left page as context', () => {
    let now = 1000;
    let focused = true;
    stub(document, 'hasFocus', () => () => focused);
    const tracker = mount(pageviews({ now: () => now }));
    now = 2000;
    focused = false;
    dispatchEvent(new Event('blur'));
    now = 4000;
    focused = true;
    dispatchEvent(new Event('focus'));
    now = 6500;
    go.push('/next');
    expect(tracker.calls.map((call) => [call.type, call.path])).toEqual([
      ['pageview', '/start'],
      ['page_leave', '/start'],
      ['pageview', '/next'],
    ]);
    expect(tracker.calls[1]).toMatchObject({ props: { duration_ms: 5500, engaged_ms: 3500 }, context: { url: `${origin}/start` } });
    now = 7000;
    dispatchEvent(new Event('pagehide'));
    expect(tracker.calls[3]).toMatchObject({
      type: 'page_leave',
      props: { duration_ms: 500, engaged_ms: 500 },
      context: { url: `${origin}/next`, path: '/next', referrer: `${origin}/start` },
    });
  });

  it('leaves once on pagehide and counts a bfcache restore as a new page view', () => {
    const tracker = mount(pageviews({ now: () => 0 }));
    dispatchEvent(new Event('pagehide'));
    dispatchEvent(new Event('pagehide'));
    dispatchEvent(pageshow(false));
    expect(tracker.calls.map((call) => call.type)).toEqual(['pageview', 'page_leave']);
    dispatchEvent(pageshow(true));
    expect(tracker.calls[2]).toMatchObject({ type: 'pageview', props: { navigation: 'bfcache' } });
    dispatchEvent(new Event('pagehide'));
    expect(tracker.calls.map((call) => call.type)).toEqual(['pageview', 'page_leave', 'pageview', 'page_leave']);
  });

  it('counts a prerendered page only when it is activated, at the URL it has then', () => {
    let prerendering = true;
    stub(document, 'prerendering', () => prerendering);
    const tracker = mount(pageviews());
    go.push('/moved-while-prerendering');
    dispatchEvent(new Event('pagehide'));
    expect(tracker.calls).toEqual([]);
    prerendering = false;
    document.dispatchEvent(new Event('prerenderingchange'));
    document.dispatchEvent(new Event('prerenderingchange'));
    expect(tracker.calls.map((call) => [call.type, call.props, call.path])).toEqual([
      ['pageview', { navigation: 'prerender' }, '/moved-while-prerendering'],
    ]);
  });
});

describe('pageviews: the Navigation API', () => {
  /** A stand-in for `window.navigation`: it fires `currententrychange` after moving the URL, as Chromium does. */
  function fakeNavigation() {
    const target = new EventTarget();
    const navigate = (url: string, navigationType: string) => {
      rawReplace(url);
      target.dispatchEvent(Object.assign(new Event('currententrychange'), { navigationType }));
    };
    return { target, navigate };
  }

  it('counts from currententrychange and leaves history unpatched', () => {
    const navigation = fakeNavigation();
    stub(window, 'navigation', () => navigation.target);
    const pushState = history.pushState;
    const tracker = mount(pageviews({ hash: true }));
    expect(history.pushState).toBe(pushState);
    navigation.navigate('/a', 'push');
    navigation.navigate('/a?x', 'replace');
    navigation.navigate('/b', 'replace');
    navigation.navigate('/a', 'traverse');
    navigation.navigate('/a#/tab', 'push');
    // The browser's own popstate and hashchange are not listened to: the Navigation API saw them already.
    dispatchEvent(new Event('popstate'));
    dispatchEvent(new Event('hashchange'));
    expect(tracker.of('pageview').map((call) => [call.props?.navigation, call.path])).toEqual([
      ['load', '/start'],
      ['push', '/a'],
      ['replace', '/b'],
      ['pop', '/a'],
      ['hash', '/a'],
    ]);
    expect(tracker.of('page_leave')).toHaveLength(4);
  });
});

describe('pageviews: teardown', () => {
  it('restores the history methods and hears nothing afterwards', () => {
    const { pushState, replaceState } = history;
    const tracker = mount(pageviews({ hash: true }));
    expect(history.pushState).not.toBe(pushState);
    tracker.teardown();
    expect(history.pushState).toBe(pushState);
    expect(history.replaceState).toBe(replaceState);
    go.push('/after');
    go.pop('/popped');
    go.hashchange('/popped#/x');
    dispatchEvent(new Event('pagehide'));
    dispatchEvent(pageshow(true));
    expect(tracker.calls.map((call) => call.type)).toEqual(['pageview']);
  });

  it('stays inert in the chain when another library wrapped pushState after it', () => {
    const native = history.pushState;
    const tracker = mount(pageviews());
    const ours = history.pushState;
    const seen: string[] = [];
    const theirs = function (this: History, ...args: Parameters<History['pushState']>) {
      seen.push(String(args[2]));
      ours.apply(this, args);
    };
    history.pushState = theirs;
    try {
      tracker.teardown();
      // Removing ours would have removed theirs too: it stays, and still reaches the browser.
      expect(history.pushState).toBe(theirs);
      go.push('/after');
      expect(location.pathname).toBe('/after');
      expect(seen).toEqual(['/after']);
      expect(tracker.calls.map((call) => call.type)).toEqual(['pageview']);
    } finally {
      history.pushState = native;
    }
  });

  it('works under another library that patched pushState before it', () => {
    const native = history.pushState;
    const seen: string[] = [];
    history.pushState = function (this: History, ...args: Parameters<History['pushState']>) {
      seen.push(String(args[2]));
      native.apply(this, args);
    };
    const theirs = history.pushState;
    try {
      const tracker = mount(pageviews());
      go.push('/a');
      expect(seen).toEqual(['/a']);
      expect(tracker.of('pageview')).toHaveLength(2);
      tracker.teardown();
      expect(history.pushState).toBe(theirs);
    } finally {
      history.pushState = native;
    }
  });
});
