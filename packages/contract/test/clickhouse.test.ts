import { chdbAvailable, natsServerBinary } from '@trailmark/clickhouse';
import { describe, it } from 'vitest';
import { clickhouseBackend } from '../src/backends.js';
import { defineContract } from '../src/contract.js';
import { defineStatsContract } from '../src/stats.js';

// The ClickHouse backend needs nats-server (Debian's package) and chDB (installed by .ci/run and the demo, not by the
// workspace's npm install): where either is missing the suite says so instead of passing silently.
const missing = [natsServerBinary() ? '' : 'nats-server', chdbAvailable() ? '' : 'chdb'].filter(Boolean);
if (missing.length === 0) {
  defineContract('clickhouse (JetStream + chDB)', clickhouseBackend);
  defineStatsContract('clickhouse (JetStream + chDB)', clickhouseBackend);
} else {
  describe('contract: clickhouse', () => {
    it.skip(`needs ${missing.join(' and ')} (node packages/clickhouse/scripts/install-chdb.mjs; apt-get install nats-server)`, () =>
      undefined);
  });
}
