// The three backends for the dashboard's browser tests, each started in the test process with the contract's
// site (keys and id) and the origin the dashboard is served from, and each with the stats data set stored.
import { ensureBundle, seedSite, startWorker } from '@trailmark/d1-worker/scripts/local.mjs';
import { startIngest } from '@trailmark/pg-ingest';
import { startReceiver } from '@trailmark/receiver';
import { SITE } from '../../packages/contract/src/backends.js';
import { type DataVisit, sendDataSet } from '../../packages/contract/src/stats-data.js';

/** A running backend with the data set stored and readable. */
export interface DashboardBackend {
  name: 'receiver' | 'postgres' | 'd1';
  url: string;
  close(): Promise<void>;
}

/** Starts the named backend allowing `origin`, stores `visits` through its batch endpoint, and waits until they are readable. */
export async function startDashboardBackend(
  name: DashboardBackend['name'],
  origin: string,
  visits: readonly DataVisit[],
): Promise<DashboardBackend> {
  const site = { id: SITE.id, writeKey: SITE.writeKey, readKey: SITE.readKey, origins: [origin] };
  if (name === 'receiver') {
    const receiver = await startReceiver({
      port: 0,
      memory: true,
      sites: [site],
      rateLimit: { perSecond: 0, burst: 0 },
      log: () => undefined,
    });
    await sendDataSet(receiver.url, '/v1/batch', visits, origin);
    return { name, url: receiver.url, close: () => receiver.close() };
  }
  if (name === 'postgres') {
    // Embedded PGlite in memory: a fresh database per test (the stats suite runs the real PostgreSQL too).
    const ingest = await startIngest({ port: 0, sites: [site], etlIntervalMs: 0, log: () => undefined });
    await sendDataSet(ingest.url, '/v1/batch', visits, origin);
    await ingest.ingest.runEtl();
    return { name, url: ingest.url, close: () => ingest.close() };
  }
  await ensureBundle();
  const { mf, db, url } = await startWorker();
  await seedSite(db, { site: SITE.id, writeKey: SITE.writeKey, secretKey: SITE.readKey, website: origin });
  await sendDataSet(url.origin, '/track/batch', visits, origin);
  return { name, url: url.origin, close: () => mf.dispose() };
}
