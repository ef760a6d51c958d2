import { h, svg } from './dom.js';
import { formatBucket, formatCount } from './format.js';

/** One series of the chart: a value per bucket. */
export interface Series {
  label: string;
  values: number[];
}

const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/** The y axis's step: a round count (1, 2, 5 × 10ⁿ, at least 1) so four steps reach `value`. */
function niceStep(value: number): number {
  const raw = Math.max(1, value / 4);
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((step) => step * power >= raw) ?? 10) * power;
}

/**
 * A line chart of `current` (and `previous`, dashed, for the comparison) over `buckets`, in SVG: no library,
 * scales with its box. Screen readers get a summary label and the figures as a table beside it.
 */
export function lineChart(buckets: number[], interval: 'hour' | 'day', current: Series, previous?: Series, width = 720): Element {
  // Drawn at the box's own width, so its text keeps its size on a phone.
  const W = Math.round(Math.max(280, width));
  const H = W < 500 ? 180 : 240;
  const max = 4 * niceStep(Math.max(...current.values, ...(previous?.values ?? []), 0));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (buckets.length <= 1 ? plotW / 2 : (i / (buckets.length - 1)) * plotW);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const path = (values: number[]) => values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => [
    svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(max * f), y2: y(max * f), class: 'gridline' }),
    svg('text', { x: PAD.left - 6, y: y(max * f) + 4, class: 'axis', 'text-anchor': 'end' }, [formatCount(max * f)]),
  ]);
  const ticks = [...new Set([0, Math.floor((buckets.length - 1) / 2), buckets.length - 1])].filter((i) => i >= 0);
  const labels = ticks.map((i) =>
    svg('text', { x: x(i), y: H - 8, class: 'axis', 'text-anchor': i === 0 ? 'start' : i === buckets.length - 1 ? 'end' : 'middle' }, [
      formatBucket(buckets[i] as number, interval),
    ]),
  );
  const total = current.values.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...current.values);
  const summary = `${current.label} over ${buckets.length} ${interval}s: ${formatCount(total)} in all, at most ${formatCount(peak)} in one ${interval}`;
  const dots = current.values.map((v, i) =>
    svg('circle', { cx: x(i), cy: y(v), r: 3, class: 'dot' }, [
      svg('title', {}, [`${formatBucket(buckets[i] as number, interval)}: ${formatCount(v)}`]),
    ]),
  );
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary, class: 'chart', focusable: 'false' }, [
    ...grid,
    ...labels,
    previous ? svg('path', { d: path(previous.values), class: 'line previous' }) : null,
    svg('path', { d: path(current.values), class: 'line current' }),
    ...(buckets.length <= 62 ? dots : []),
  ]);
  const table = h('table', {}, [
    h('caption', {}, [`${current.label} per ${interval}`]),
    h('thead', {}, [
      h('tr', {}, [
        h('th', { scope: 'col' }, [interval === 'hour' ? 'Hour (UTC)' : 'Day (UTC)']),
        h('th', { scope: 'col' }, [current.label]),
        previous ? h('th', { scope: 'col' }, [previous.label]) : null,
      ]),
    ]),
    h(
      'tbody',
      {},
      buckets.map((t, i) =>
        h('tr', {}, [
          h('th', { scope: 'row' }, [formatBucket(t, interval)]),
          h('td', {}, [formatCount(current.values[i] ?? 0)]),
          previous ? h('td', {}, [formatCount(previous.values[i] ?? 0)]) : null,
        ]),
      ),
    ),
  ]);
  // The figures for screen readers: a table in a box of 1 px (a table itself ignores its width).
  return h('div', { class: 'chart-box' }, [chart, h('div', { class: 'sr-only' }, [table])]);
}
