// A W3C WebDriver client over fetch: the dozen commands the cross-engine suite uses, no more.
// https://www.w3.org/TR/webdriver2/

/** The key an element reference comes under. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** One WebDriver session of the server at `base` (e.g. `http://127.0.0.1:4444`). */
export async function webDriverSession(base: string, capabilities: Record<string, unknown>) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as { value: T & { error?: string; message?: string } };
    if (!response.ok)
      throw new Error(`webdriver ${method} ${path}: ${answer.value?.error ?? response.status} ${answer.value?.message ?? ''}`);
    return answer.value;
  };
  const created = await call<{ sessionId: string; capabilities: { browserName?: string; browserVersion?: string } }>('POST', '/session', {
    capabilities: { alwaysMatch: capabilities },
  });
  const { sessionId } = created;
  const at = (path: string) => `/session/${sessionId}${path}`;
  let current = await call<string>('GET', at('/window'));

  /** Makes `handle` the window the next commands go to. */
  const use = async (handle: string) => {
    if (current === handle) return;
    await call('POST', at('/window'), { handle });
    current = handle;
  };
  const element = async (selector: string) =>
    (await call<Record<string, string>>('POST', at('/element'), { using: 'css selector', value: selector }))[ELEMENT];

  return {
    /** The browser's name and version, as the server reports them. */
    browser: `${created.capabilities.browserName ?? 'unknown'} ${created.capabilities.browserVersion ?? ''}`.trim(),
    /** The window the session opened with. */
    first: current,
    async newWindow(): Promise<string> {
      return (await call<{ handle: string }>('POST', at('/window/new'), { type: 'tab' })).handle;
    },
    async navigate(handle: string, url: string) {
      await use(handle);
      await call('POST', at('/url'), { url });
    },
    async refresh(handle: string) {
      await use(handle);
      await call('POST', at('/refresh'), {});
    },
    /** Runs an async script: `body` gets `arguments[0]` and must call `arguments[arguments.length - 1]` with its result. */
    async executeAsync<R>(handle: string, body: string, args: unknown[]): Promise<R> {
      await use(handle);
      return call<R>('POST', at('/execute/async'), { script: body, args });
    },
    async click(handle: string, selector: string) {
      await use(handle);
      await call('POST', at(`/element/${await element(selector)}/click`), {});
    },
    async type(handle: string, selector: string, text: string) {
      await use(handle);
      await call('POST', at(`/element/${await element(selector)}/value`), { text });
    },
    async closeWindow(handle: string) {
      await use(handle);
      await call('DELETE', at('/window'));
      current = '';
    },
    async end() {
      await call('DELETE', `/session/${sessionId}`);
    },
  };
}
