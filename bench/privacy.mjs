// Admission throughput with the privacy rules of issue 26 beside the rules before it: `admitBatch` (parse, admit,
// redact) on realistic 50-event batches (pageviews with campaign URLs, clicks with text and links, web vitals, forms,
// scroll and heartbeats), events per second, best of 7 alternating runs of each. Target: the new rules lose at most 10%.
// The old rules are the protocol package at OLD_RULES, compiled from git into a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
/** The last commit before issue 26's rules. */
const OLD_RULES = '8482d2c';
const BATCHES = 400;
const PER_BATCH = 50;

function batch(n, now) {
  const events = [];
  for (let i = 0; i < PER_BATCH; i++) {
    const k = n * PER_BATCH + i;
    const base = {
      event_id: `0190b6a0-0000-7000-8000-${String(k).padStart(12, '0')}`,
      ts: now - 1000,
      site_id: 'site-1',
      visitor_id: `v${n}`,
      session_id: `s${n}`,
      seq: i + 1,
      url: `https://shop.example/products/trail-shoes-${k % 40}?utm_source=newsletter&utm_medium=email&utm_campaign=spring`,
      path: `/products/trail-shoes-${k % 40}`,
      title: 'Trail shoes – Shop',
      referrer: 'https://www.google.com/',
      utm_source: 'newsletter',
      utm_medium: 'email',
      utm_campaign: 'spring',
      language: 'en-GB',
      timezone: 'Europe/Berlin',
      screen_w: 1440,
      screen_h: 900,
    };
    const kind = i % 10;
    if (kind < 3) events.push({ ...base, type: 'pageview' });
    else if (kind < 5)
      events.push({ ...base, type: 'click', props: { tag: 'a', text: 'Add to cart', href: `/cart?add=${k}`, selector: 'main > a.buy' } });
    else if (kind === 5)
      events.push({
        ...base,
        type: 'web_vital',
        props: { name: 'LCP', value: 1234.5, id: `v6-${now}-${1234567890123 + k}`, rating: 'good', delta: 12 },
      });
    else if (kind === 6)
      events.push({
        ...base,
        type: 'form_submit',
        props: {
          id: 'newsletter',
          action: '/subscribe',
          method: 'post',
          fields: 3,
          filled: ['email', 'name'],
          values: { name: 'Jane', email: 'jane@example.com' },
        },
      });
    else if (kind === 7) events.push({ ...base, type: 'scroll_depth', props: { depth: 75 } });
    else events.push({ ...base, type: 'heartbeat', props: { engaged_ms: 15000 } });
  }
  return { v: 1, sdk: 'trailmark/0.1.0', sent_at: now, events };
}

/**
 * Events per second of CPU time (the process's own, so that a neighbour's load on a shared machine does not count)
 * of each `admitBatch`, best of 7 runs, the runs of the two alternating.
 */
async function rates(implementations) {
  const now = Date.now();
  const bodies = Array.from({ length: BATCHES }, (_, n) => batch(n, now));
  const write = ({ events }) => new Set(events.map((e) => e.event_id));
  const options = { now, siteId: 'site-1', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0' };
  const best = implementations.map(() => 0);
  for (let run = 0; run < 7; run++) {
    for (const [i, admitBatch] of implementations.entries()) {
      const started = process.cpuUsage();
      for (const body of bodies) await admitBatch(body, options, write);
      const used = process.cpuUsage(started);
      best[i] = Math.max(best[i], (BATCHES * PER_BATCH) / ((used.user + used.system) / 1e6));
    }
  }
  return best.map(Math.round);
}

/**
 * The protocol package at `commit` (or as it is in the working tree), compiled by tsc into a temporary directory:
 * both sides built the same way.
 */
function protocolAt(commit) {
  const dir = mkdtempSync(join(tmpdir(), 'tm-rules-'));
  const source = commit
    ? `git archive ${commit} packages/protocol tsconfig.base.json`
    : 'tar -c packages/protocol/src packages/protocol/tsconfig.json packages/protocol/package.json tsconfig.base.json';
  execFileSync('sh', ['-c', `${source} | tar -x -C ${dir}`], { cwd: root });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'packages/protocol')], { cwd: dir });
  return dir;
}

export async function benchPrivacy() {
  const dirs = [protocolAt(OLD_RULES), protocolAt(undefined)];
  try {
    const [old, current] = await Promise.all(dirs.map((dir) => import(pathToFileURL(join(dir, 'packages/protocol/dist/index.js')).href)));
    const [before, after] = await rates([old.admitBatch, current.admitBatch]);
    return { old_events_per_s: before, new_events_per_s: after, ratio: Math.round((after / before) * 100) / 100, target: '≥ 0.9' };
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(JSON.stringify(await benchPrivacy()));
