import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS } from '/work/wt/23s/e2e/support/chromium.mjs';
const tag = readFileSync('/work/wt/23s/packages/sdk/dist/trailmark.js', 'utf8');
const html = `<!doctype html><html><head><script>window.__tm={}</script><script data-site="b" data-endpoint="/c">window.__tm.start=performance.now();${tag}
;window.__tm.end=performance.now();</script></head><body>x</body></html>`;
const server = createServer((req, res) => { res.writeHead(200, {'content-type':'text/html'}); res.end(req.url === '/' ? html : ''); });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const self = new Map(); let total = 0;
for (let i = 0; i < Number(process.env.N ?? 5); i++) {
  const context = await browser.newContext(); const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 100 }); await cdp.send('Profiler.start');
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const { profile } = await cdp.send('Profiler.stop');
  const t = await page.evaluate(() => window.__tm.end - window.__tm.start); total += t;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map(); for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // time per sample; attribute to leaf (self) and to every trailmark frame on the stack (total)
  for (let k = 0; k < profile.samples.length; k++) {
    const dt = (profile.timeDeltas[k + 1] ?? 0) / 1000;
    let id = profile.samples[k]; const leaf = byId.get(id).callFrame;
    const stack = []; for (let x = id; x !== undefined; x = parent.get(x)) stack.push(byId.get(x).callFrame);
    // only samples inside the inline script's top-level run (the SDK at start-up)
    if (!stack.some((f) => f.url.endsWith('/') && f.functionName === '' && f.lineNumber === 0)) continue;
    const key = `${leaf.functionName || '(anon)'} :${leaf.lineNumber}`;
    self.set('SELF ' + key, (self.get('SELF ' + key) ?? 0) + dt);
    for (const f of new Set(stack.map((f) => `${f.functionName || '(anon)'} :${f.lineNumber}`))) self.set('INCL ' + f, (self.get('INCL ' + f) ?? 0) + dt);
  }
  await context.close();
  console.log('run', i, 'script ms', t.toFixed(1));
}
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 60).map(([k, v]) => `${v.toFixed(1)}\t${k}`).join('\n'));
await browser.close(); server.close();
