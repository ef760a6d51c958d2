import { chdbAvailable, natsServerBinary } from '@trailmark/clickhouse';
import { describe, expect, it } from 'vitest';
import { clickhouseBackend, d1Backend, postgresBackend, referenceBackend, SITE } from '../src/backends.js';
import { definePrivacySuite, PRIVACY_SEED } from '../src/privacy.js';
import { findInClear, privacyCorpus } from '../src/privacy-corpus.js';

// One corpus, one list of backends: a backend joins the privacy suite with one line here.
definePrivacySuite('reference receiver (SQLite)', referenceBackend);
definePrivacySuite('postgres ingest (PGlite)', () => postgresBackend());
const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) definePrivacySuite('postgres ingest (PostgreSQL)', () => postgresBackend(databaseUrl));
definePrivacySuite('d1 worker (workerd)', d1Backend);
// ClickHouse needs nats-server and chDB (as in clickhouse.test.ts): where either is missing the suite says so.
if (natsServerBinary() && chdbAvailable()) definePrivacySuite('clickhouse (JetStream + chDB)', clickhouseBackend);
else it.skip('privacy: clickhouse needs nats-server and chdb (see clickhouse.test.ts)', () => undefined);

describe('the privacy scan', () => {
  it('finds every value of the corpus in what a client sends (the suite cannot pass by looking at nothing)', () => {
    const corpus = privacyCorpus(PRIVACY_SEED, SITE.id, Date.now());
    const sent = [JSON.stringify(corpus.events), JSON.stringify(corpus.pings), corpus.userAgent].join('\n');
    expect(findInClear(sent, corpus.secrets)).toEqual(corpus.secrets);
    expect(corpus.secrets.length).toBeGreaterThan(250);
  });
});
