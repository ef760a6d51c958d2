// WebKit (WebKitGTK, Safari's engine) through its W3C WebDriver server, WebKitWebDriver, driving MiniBrowser on an
// Xvfb display. Both processes are started here on what the OS hands out: a free port, and the display Xvfb picks
// itself (-displayfd), so several runs on one machine never collide.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Engine, EnginePage } from './driver.js';
import { webDriverSession } from './webdriver.js';

const driverPath = () => process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
const browserPath = () => process.env.WEBKIT_BROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const xvfbPath = () => process.env.XVFB_PATH ?? '/usr/bin/Xvfb';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Starts Xvfb on the first free display and resolves to its number. */
function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  const xvfb = spawn(xvfbPath(), ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    xvfb.once('error', reject);
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code})`)));
    xvfb.stdio[3]?.once('data', (data) => resolve({ display: String(data).trim(), process: xvfb }));
  });
}

async function waitUntilUp(url: string, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (
      await fetch(url).then(
        (response) => response.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`WebKitWebDriver did not answer ${url} within ${timeoutMs} ms`);
}

// The page function runs as `(fn)(arg)` inside the page; its result or error comes back through the callback.
const ASYNC_WRAPPER = (source: string) => `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${source})(arguments[0])).then(
  (value) => done({ ok: true, value: value === undefined ? null : value }),
  (error) => done({ ok: false, error: String(error && error.stack || error) }));`;

export const webkit: Engine = {
  name: 'webkit',
  missing: () => {
    const absent = [driverPath(), browserPath(), xvfbPath()].filter((path) => !existsSync(path));
    return absent.length ? `not installed: ${absent.join(', ')} (apt-get install webkit2gtk-driver xvfb)` : undefined;
  },
  async launch() {
    const xvfb = await startXvfb();
    const port = await freePort();
    const driver = spawn(driverPath(), [`--port=${port}`, '--host=127.0.0.1'], {
      env: { ...process.env, DISPLAY: `:${xvfb.display}` },
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${port}`;
    const stop = () => {
      process.off('exit', stop);
      driver.kill();
      xvfb.process.kill();
    };
    // A worker that ends without closing the browser (a failed hook, a timeout) takes its two servers with it.
    process.once('exit', stop);
    try {
      await waitUntilUp(`${base}/status`);
    } catch (error) {
      stop();
      throw error;
    }
    const capabilities = { 'webkitgtk:browserOptions': { binary: browserPath(), args: ['--automation'] } };
    let version = 'WebKitGTK';
    return {
      get version() {
        return version;
      },
      async newSession() {
        const session = await webDriverSession(base, capabilities);
        let firstTaken = false;
        const wrap = (handle: string): EnginePage => ({
          goto: (url) => session.navigate(handle, url),
          async evaluate(fn, arg) {
            const answer = await session.executeAsync<{ ok: boolean; value?: unknown; error?: string }>(handle, ASYNC_WRAPPER(String(fn)), [
              arg,
            ]);
            if (!answer.ok) throw new Error(`in the page: ${answer.error}`);
            return answer.value as never;
          },
          click: (selector) => session.click(handle, selector),
          type: (selector, text) => session.type(handle, selector, text),
          reload: () => session.refresh(handle),
          close: () => session.closeWindow(handle),
        });
        const page = wrap(session.first);
        version = session.browser;
        return {
          async newPage() {
            if (!firstTaken) {
              firstTaken = true;
              return page;
            }
            return wrap(await session.newWindow());
          },
          setOffline: undefined,
          close: () => session.end(),
        };
      },
      close: async () => {
        stop();
      },
    };
  },
};
