import type { Tracker } from './tracker.js';

/** What the first file gives the chunk's `attach`: the tracker it started, its script's data, the early events. */
export type Attach = (tracker: Tracker, data: DOMStringMap, early: readonly Event[]) => void;

/** The chunk's `<script>` element: the chunk calls its `tm` (a name both files share: never mangled) with its attach. */
export type LaterScript = HTMLScriptElement & { tm?: (attach: Attach) => void };

/**
 * The events recorded until the chunk arrives, replayed to its plugins then: kinds whose event still says, when
 * replayed, what it said when it fired (a click, an error, a rejection, a form's submit and the fields typed into). A scroll or
 * a copy is read from the page when handled, so it is not replayed: the plugins read the page as they start.
 */
const EARLY = ['click', 'auxclick', 'error', 'unhandledrejection', 'submit', 'focusin', 'input', 'change'];

/**
 * Fetches the script tag's second file (the capture features a page does not need before `load`: see
 * script-tag-later.ts) once the page has loaded, or at the visitor's first click or input if that comes first, from
 * beside the first (`script`'s URL) or from `data-later`, with its
 * integrity checked
 * and the first's `crossorigin` and `nonce`; until it runs, records the page's early events for it (at most 200).
 */
export function loadLater(tracker: Tracker, data: DOMStringMap, script: HTMLScriptElement | null): void {
  const early: Event[] = [];
  let requested = false;
  const record = (event: Event) => {
    if (early.length < 200) early.push(event);
    // A visitor acting before `load` (or in the moment after it) may be about to leave by a link or a form: the
    // second file is fetched at once, so that it arrives, and sends what was recorded, before the page is gone.
    if (!/error|rejection/.test(event.type)) fetchLater();
  };
  const recording = (on: boolean) => {
    for (const type of EARLY) (on ? addEventListener : removeEventListener)(type, record, true);
  };
  function fetchLater() {
    if (requested) return;
    requested = true;
    const element = document.createElement('script') as LaterScript;
    // `data-later` names it when the site serves the files under names of its own (the ad-blocker recipe).
    element.src = data.later || new URL(__LATER_FILE__, script?.src || location.href).href;
    element.integrity = __LATER_INTEGRITY__;
    if (script) {
      element.crossOrigin = script.crossOrigin;
      element.nonce = script.nonce ?? '';
    }
    element.tm = (attach) => {
      recording(false);
      attach(tracker, data, early);
    };
    // Blocked (CSP), missing or altered (integrity): the first file's features go on, the failure is reported.
    element.onerror = () => {
      recording(false);
      tracker.reportError(Error(`${__LATER_FILE__} did not load`), 'script');
    };
    (document.head ?? document.documentElement).append(element);
  }
  recording(true);
  // After `load`, and after the page's own `load` handlers: the page's start-up never waits for it.
  if (document.readyState === 'complete') setTimeout(fetchLater);
  else addEventListener('load', () => setTimeout(fetchLater), { once: true });
}
