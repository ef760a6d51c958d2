// The page driver the cross-engine scenarios are written against: the few things they do to a browser, each engine
// (chromium.ts, firefox.ts, webkit.ts) implementing it over its own protocol. Small on purpose: anything a scenario
// needs of a page beyond this runs inside the page through `evaluate`.

/** One tab. */
export interface EnginePage {
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Runs `fn(arg)` in the page (serialised: it may use only its argument and the page's globals) and awaits it. */
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** Clicks the first element matching a CSS selector, as a user does (real input events). */
  click(selector: string): Promise<void>;
  /** Types into the first element matching a CSS selector. */
  type(selector: string, text: string): Promise<void>;
  reload(): Promise<void>;
  /** Closes the tab as a user does; the page's `pagehide` runs. */
  close(): Promise<void>;
}

/** A browser profile of its own (cookies, storage), with its tabs. */
export interface EngineSession {
  /** A new tab (the first call may return the session's first, blank tab). */
  newPage(): Promise<EnginePage>;
  /** The browser's own offline switch, where its protocol has one (W3C WebDriver has none). */
  setOffline: ((offline: boolean) => Promise<void>) | undefined;
  close(): Promise<void>;
}

/** A running browser. */
export interface EngineBrowser {
  /** The product and version the browser reports. */
  version: string;
  newSession(): Promise<EngineSession>;
  close(): Promise<void>;
}

/** One engine of the suite. */
export interface Engine {
  name: 'chromium' | 'firefox' | 'webkit';
  /** Why it cannot run on this machine (what is not installed), or undefined when it can. */
  missing(): string | undefined;
  launch(): Promise<EngineBrowser>;
}
