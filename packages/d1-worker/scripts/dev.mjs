// `npm run dev -w packages/d1-worker`: the Worker on 127.0.0.1 (PORT, default 8788) with a persistent
// local D1 under .data/v3/d1 (wrangler's layout), migrations applied and the demo keys seeded, for the demo and e2e tests.
import { ensureBundle, PACKAGE_DIR, seedSite, startWorker } from './local.mjs';

const port = Number(process.env.PORT ?? 8788);
const persist = process.env.TM_D1_DATA ?? `${PACKAGE_DIR}.data`;
const origin = process.env.TM_DEMO_ORIGIN ?? 'http://127.0.0.1:8080';

await ensureBundle({ force: process.env.TM_REBUILD === '1' });
const { mf, db, url } = await startWorker({
  port,
  persist,
  vars: {
    ALLOW_UNREGISTERED_KEYS: process.env.ALLOW_UNREGISTERED_KEYS ?? 'false',
    LIVE_TIMEOUT_SECONDS: process.env.LIVE_TIMEOUT_SECONDS ?? '120',
  },
});
await seedSite(db, { site: 'demo', writeKey: 'pk_demo', secretKey: 'sk_demo', website: origin });
console.log(`trailmark d1-worker on ${url.href} (D1 in ${persist}/v3/d1)`);
console.log(`  inspect it: npx wrangler d1 execute trailmark --local --persist-to ${persist} --command "SELECT * FROM visitors"`);
console.log('  write key pk_demo (site "demo", origin %s), secret key sk_demo', origin);
console.log('  POST %strack/batch?key=pk_demo   GET %sapi/visitors  (Authorization: Bearer sk_demo)', url.href, url.href);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await mf.dispose();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
