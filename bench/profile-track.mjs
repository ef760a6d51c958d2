// Where the main-thread time of 1000 track() calls goes, with no DevTools attached: Chromium's own sampling
// profiler (trace category disabled-by-default-v8.cpu_profiler) over the traced benchmark page, self time per
// function summed over RUNS runs of the readable (unminified) build. The profiler's own overhead inflates every
// figure (about 2×), so read it as proportions. `--floor` profiles the memory-queue, no-op-transport run.
//   node bench/profile-track.mjs [--floor]
import { chromium } from '@playwright/test';
import { buildSdk } from '../e2e/support/build-sdk.mjs';
import { chromiumPath } from '../e2e/support/chromium.mjs';
import { startRecorder } from '../e2e/support/recorder.mjs';
import { SETTLE_MS, traceBenchPage } from './track.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const floor = process.argv.includes('--floor');

await buildSdk({ release: false });
const recorder = await startRecorder(0);
const executablePath = chromiumPath() ?? chromium.executablePath();
const self = new Map();
try {
  for (let run = 0; run < RUNS; run++) {
    const { events, start } = await traceBenchPage({
      executablePath,
      base: recorder.url,
      mode: 'track',
      query: floor ? '&floor=1' : '',
      categories: ['disabled-by-default-v8.cpu_profiler'],
    });
    const nodes = new Map();
    let time = 0;
    for (const e of events) {
      if (e.pid !== start.pid) continue;
      if (e.name === 'Profile') time = e.args.data.startTime;
      if (e.name !== 'ProfileChunk') continue;
      const { cpuProfile = {}, timeDeltas = [] } = e.args.data;
      for (const node of cpuProfile.nodes ?? []) nodes.set(node.id, node);
      (cpuProfile.samples ?? []).forEach((id, i) => {
        time += timeDeltas[i] ?? 0;
        const frame = nodes.get(id)?.callFrame;
        if (!frame || frame.functionName === '(idle)' || time < start.ts || time > start.ts + SETTLE_MS * 1000) return;
        const where = frame.url ? ` ${frame.url.split('/').pop()}:${frame.lineNumber + 1}` : '';
        const key = `${frame.functionName || '(anonymous)'}${where}`;
        self.set(key, (self.get(key) ?? 0) + (timeDeltas[i + 1] ?? 0));
      });
    }
  }
} finally {
  await recorder.close();
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(
  `${floor ? 'floor (memory queue, no-op transport)' : 'IndexedDB queue, fetch'}: ${(total / RUNS / 1000).toFixed(1)} ms sampled per run`,
);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30))
  console.log(`${(us / RUNS / 1000).toFixed(2).padStart(7)} ms  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
