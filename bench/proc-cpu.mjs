// A local process's CPU time, for the benches that weigh PostgreSQL's backend work (the server runs on this machine).
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ 100: /proc reports CPU time in hundredths of a second

/** A process's user + system CPU time in ms. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
