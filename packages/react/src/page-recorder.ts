import type { PageContext, Tracker } from 'trailmark';

/** How a page was reached: the `navigation` prop of a `pageview` (the SDK's `pageviews()` plugin uses the same). */
export type Navigation = 'load' | 'push' | 'replace' | 'pop' | 'hash';

/** A later navigation kind outranks an earlier one seen since the last page view: a router may replace after it pushes. */
const RANK: Record<string, number> = { replace: 1, push: 2, pop: 3 };

/** What `view()` needs of the page: the tracker to record on, and the waits for the route's title. */
export interface ViewOptions {
  /** The page's title when the caller knows it: recorded at once, with it. */
  title?: string | undefined;
  /** The longest wait for the route's title to change, ms. */
  titleWaitMs: number;
}

/** Records page views of one router on one window; see `usePageviews()`. */
export interface PageRecorder {
  /** Listens for how the next navigation happens (push, replace, Back/Forward) and for the page hiding; returns the removal. */
  _listen(): () => void;
  /** A page view for the router location `key`, unless it is the current one. */
  _view(tracker: Tracker, key: string, options: ViewOptions): void;
}

/**
 * A router changes its location before the new route's title is in the document (Next.js streams a route's
 * metadata after its page; React commits `<title>` when it resolves): a page view waits for `document.title` to
 * change, up to `titleWaitMs`, unless the title is already new (or given). A page view still waiting is recorded at
 * once when the next navigation comes or the page hides, with its own URL.
 */
export function pageRecorder(win: Window): PageRecorder {
  const doc = win.document;
  let last: { key: string; url: string; title: string } | undefined;
  let kind: Navigation | undefined;
  let pending: (() => void) | undefined;

  const saw = (next: Navigation) => {
    if (!kind || (RANK[next] ?? 0) > (RANK[kind] ?? 0)) kind = next;
  };

  return {
    _listen() {
      const nav = (win as { navigation?: EventTarget }).navigation;
      const onEntry = (event: Event & { navigationType?: string | null }) => {
        const type = event.navigationType;
        saw(type === 'traverse' ? 'pop' : type === 'replace' ? 'replace' : 'push');
      };
      const onPop = () => saw('pop');
      const onHide = () => pending?.();
      // The Navigation API tells push, replace and traversal apart; without it a popstate is Back/Forward and
      // anything else a push.
      if (nav) nav.addEventListener('currententrychange', onEntry);
      else win.addEventListener('popstate', onPop);
      win.addEventListener('pagehide', onHide);
      return () => {
        nav?.removeEventListener('currententrychange', onEntry);
        win.removeEventListener('popstate', onPop);
        win.removeEventListener('pagehide', onHide);
      };
    },

    _view(tracker, key, { title, titleWaitMs }) {
      if (last?.key === key) return;
      pending?.();
      const previous = last;
      const url = win.location.href;
      const path = win.location.pathname;
      const navigation: Navigation = !previous ? 'load' : previous.url.split('#')[0] === url.split('#')[0] ? 'hash' : (kind ?? 'push');
      kind = undefined;
      // The title before this route's metadata can have applied: a page recorded after the router moved on keeps it.
      const before = doc.title;
      const page = { key, url, title: '' };
      last = page;
      const ready = () => title !== undefined || (doc.title !== '' && doc.title !== previous?.title);
      let observer: MutationObserver | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const record = () => {
        if (pending !== record) return;
        pending = undefined;
        observer?.disconnect();
        clearTimeout(timer);
        // Recorded after the router moved on: the page's own URL, not the one now in the address bar, and not the
        // next route's title.
        const moved = win.location.href !== url;
        page.title = title ?? (moved ? before : doc.title);
        const context: Partial<PageContext> = {};
        if (previous) context.referrer = previous.url;
        if (title !== undefined) context.title = title;
        if (moved) Object.assign(context, { url, path, title: page.title });
        tracker.track('pageview', { navigation }, Object.keys(context).length ? context : undefined);
      };
      pending = record;
      if (ready()) return record();
      observer = new MutationObserver(() => {
        if (ready()) record();
      });
      // React hoists every <title> into <head>: a change there is the only one that can change document.title.
      observer.observe(doc.head, { childList: true, subtree: true, characterData: true });
      timer = setTimeout(record, titleWaitMs);
    },
  };
}
