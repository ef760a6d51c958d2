#!/usr/bin/env node
// Today's privacy rules over a site's data stored before them, on a deployed Worker or a local one:
//   node scripts/redact-stored.mjs <worker URL> <secret key>
// Calls `POST /admin/redact` (one chunk of events, then of identities, then of visits' rollups, per request) until it
// answers `done`, and prints the totals.
const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node scripts/redact-stored.mjs <worker URL> <secret key (sk_…)>');
  process.exit(2);
}
let next = { table: 'events', after: '' };
const total = { read: 0, changed: 0 };
for (;;) {
  const response = await fetch(`${base.replace(/\/$/, '')}/admin/redact?table=${next.table}&after=${encodeURIComponent(next.after)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
  const answer = await response.json();
  if (!response.ok) {
    console.error(`redact failed (${response.status}): ${JSON.stringify(answer)}`);
    process.exit(1);
  }
  total.read += answer.read;
  total.changed += answer.changed;
  if (answer.done) break;
  next = answer.next;
}
console.log(JSON.stringify({ ok: true, ...total }));
