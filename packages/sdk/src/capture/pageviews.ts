import type { PageContext, Props } from '@trailmark/protocol';
import type { Plugin } from '../plugin.js';
import { engagedClock } from './engaged.js';
import { scope } from './scope.js';

/** The parts of the URL that make a new page: a navigation that keeps them counts nothing. */
export type PageKey = 'path' | 'path+search' | 'path+search+hash';

/** How a page was reached: the `navigation` prop of a `pageview`. */
export type NavigationKind = 'load' | 'push' | 'replace' | 'pop' | 'hash' | 'bfcache' | 'prerender';

/** Options of `pageviews()`. */
export interface PageviewsOptions {
  /** What makes a new page (default `path`). */
  key?: PageKey;
  /** Hash routing (`/#/settings`): the hash is part of the key and `hashchange` counts (default false). */
  hash?: boolean;
  /** The page's window (tests pass their own). */
  window?: Window;
  /** Monotonic clock for durations, ms (default `performance.now`). */
  now?: () => number;
}

type HistoryMethods = Pick<History, 'pushState' | 'replaceState'>;

/**
 * Page views: the first load (or, for a prerendered page, its activation), SPA navigation, bfcache restores.
 * Each `pageview` has `{ navigation, not_found? }` (`not_found: true` on a page with an element, such as `<body>`
 * or a `<meta>` tag, that has the `data-tm-404` attribute) and, for in-app navigation, the previous in-app URL as `referrer`.
 * Leaving a page (SPA navigation or `pagehide`) sends `page_leave` with `{ duration_ms, engaged_ms }`
 * and the left page's `url`/`path`.
 */
export function pageviews(options: PageviewsOptions = {}): Plugin {
  return {
    name: 'pageviews',
    setup(tracker) {
      const win = options.window ?? window;
      const doc = win.document;
      const loc = win.location;
      const history: HistoryMethods = win.history;
      const now = options.now ?? (() => win.performance.now());
      const mode = options.key ?? 'path';
      const s = scope(tracker, 'pageviews');
      const engaged = engagedClock(s, win, now);
      /** The current page's context; `url` follows same-key replaces, so it is always the latest in-app URL. */
      let page: Partial<PageContext> | undefined;
      let key = '';
      let open = false;
      let start = 0;

      const keyOf = () =>
        loc.pathname + (mode === 'path' ? '' : loc.search) + (options.hash || mode === 'path+search+hash' ? loc.hash : '');

      const leave = () => {
        if (!open || !page) return;
        open = false;
        tracker.track('page_leave', { duration_ms: Math.round(now() - start), engaged_ms: engaged() }, page);
      };

      const view = s._wrap((navigation: NavigationKind, referrer?: string) => {
        key = keyOf();
        open = true;
        start = now();
        engaged();
        page = { url: loc.href, path: loc.pathname };
        if (referrer) page.referrer = referrer;
        const props: Props = { navigation };
        // A not-found page says so in its markup (`<body data-tm-404>`): a script cannot read the page's HTTP status.
        if (doc.querySelector('[data-tm-404]')) props.not_found = true;
        tracker.track('pageview', props, referrer ? { referrer } : undefined);
      });

      const change = s._wrap((kind: NavigationKind) => {
        // Nothing is counted before the first page view (a prerendered page not yet shown).
        if (!page) return;
        const from = page.url ?? '';
        if (keyOf() === key) {
          page.url = loc.href;
          return;
        }
        leave();
        view(from.split('#')[0] === loc.href.split('#')[0] ? 'hash' : kind, from);
      });

      const navigation = (win as { navigation?: EventTarget }).navigation;
      if (navigation) {
        // The Navigation API sees pushState, replaceState, traversals and fragment links alike, once each:
        // no need (and no way to double count) with a history patch.
        s._on(navigation, 'currententrychange', (event: Event & { navigationType?: string | null }) => {
          const type = event.navigationType;
          change(type === 'traverse' ? 'pop' : type === 'replace' ? 'replace' : 'push');
        });
      } else {
        for (const [method, kind] of [
          ['pushState', 'push'],
          ['replaceState', 'replace'],
        ] as const) {
          const original = history[method];
          let live = true;
          const patched: HistoryMethods[typeof method] = function (this: History, ...args) {
            original.apply(this, args);
            if (live) change(kind);
          };
          history[method] = patched;
          s._add(() => {
            live = false;
            // Another library may have wrapped ours since: restoring the original would drop its wrapper,
            // so ours then stays in the chain, inert.
            if (history[method] === patched) history[method] = original;
          });
        }
        s._on(win, 'popstate', () => change('pop'));
        if (options.hash) s._on(win, 'hashchange', () => change('hash'));
      }

      s._on(win, 'pagehide', leave);
      s._on(win, 'pageshow', (event: PageTransitionEvent) => {
        if (event.persisted) view('bfcache');
      });

      // A prerendered page has not been seen yet: it counts when (if ever) the user activates it.
      if ((doc as { prerendering?: boolean }).prerendering) s._on(doc, 'prerenderingchange', () => view('prerender'), { once: true });
      else view('load');
      return s._stop;
    },
  };
}
