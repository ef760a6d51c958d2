// Identity stitching's read cost (issue 24): the summary's distinct count over 255,000 visit rows of a site (120,000
// visitors) on SQLite (better-sqlite3, in memory), by bare visitor id, and by person (`personSql()` of
// @trailmark/protocol) for a site that never identified anyone and for one where every fifth visitor is identified.
// Target: a site without identities pays at most 1.2 times the bare count (it skips the lookups); an identified
// site's figure is the price of one primary-key lookup per row, reported beside it.
//   node bench/persons.mjs          (after npm run build)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';

const root = resolve(import.meta.dirname, '..');
const VISITS = 255_000;
const VISITORS = 120_000;
const RUNS = 5;

/** Median ms of `RUNS` runs of one query, and its answer. */
function time(db, sql) {
  const times = [];
  let answer;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    answer = db.prepare(sql).get().n;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: Math.round(times[Math.floor(RUNS / 2)]), answer };
}

/** The figures: bare, without identities, with identities (ms, median), and the two ratios. */
export async function benchPersons() {
  const { personSql } = await import(pathToFileURL(resolve(root, 'packages/protocol/dist/index.js')).href);
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE visits (site_id TEXT NOT NULL, session_id TEXT NOT NULL, visitor_id TEXT NOT NULL, start_ts INTEGER NOT NULL,
      PRIMARY KEY (site_id, start_ts, session_id)) WITHOUT ROWID;
    CREATE TABLE visitor_users (site_id TEXT NOT NULL, visitor_id TEXT NOT NULL, user_id TEXT NOT NULL, ts INTEGER NOT NULL,
      seq INTEGER NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (site_id, visitor_id)) WITHOUT ROWID;`);
  const visit = db.prepare('INSERT INTO visits VALUES (?, ?, ?, ?)');
  const user = db.prepare('INSERT INTO visitor_users VALUES (?, ?, ?, 0, 0, ?)');
  const visitor = (i) => `0190a0b0-${String(i % VISITORS).padStart(8, '0')}-7000-8000-000000000000`;
  db.transaction(() => {
    for (const site of ['plain', 'known']) for (let i = 0; i < VISITS; i++) visit.run(site, `s${i}`, visitor(i), i * 10_000);
    for (let v = 0; v < VISITORS; v += 5) user.run('known', visitor(v), `user-${v % 9000}`, `e${v}`);
  })();
  const count = (site, expression) => `SELECT count(DISTINCT ${expression}) AS n FROM visits v WHERE v.site_id = '${site}'`;
  const bare = time(db, count('plain', 'v.visitor_id'));
  const plain = time(db, count('plain', personSql('v', 'plain')));
  const known = time(db, count('known', personSql('v', 'known')));
  db.close();
  return {
    visits: VISITS,
    visitors: VISITORS,
    bare_ms: bare.ms,
    no_identities_ms: plain.ms,
    no_identities_ratio: Math.round((plain.ms / bare.ms) * 100) / 100,
    target_no_identities_ratio: 1.2,
    identified_ms: known.ms,
    identified_ratio: Math.round((known.ms / bare.ms) * 100) / 100,
    people: { plain: plain.answer, known: known.answer },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const f = await benchPersons();
  console.log(`person count over ${f.visits} visits (${f.visitors} visitors), median of ${RUNS}:`);
  console.log(`  bare visitor ids               ${f.bare_ms} ms`);
  console.log(
    `  site without identities        ${f.no_identities_ms} ms  ×${f.no_identities_ratio}  (target ≤ ×${f.target_no_identities_ratio})`,
  );
  console.log(`  site with 1 in 5 identified    ${f.identified_ms} ms  ×${f.identified_ratio}  (${f.people.known} people)`);
}
