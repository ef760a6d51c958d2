import type { FunnelRow, GoalRow, StatsDimension, StatsRow, StatsTotals, VitalRow } from '@trailmark/protocol';
import { summaryRates } from '@trailmark/protocol';
import { h } from './dom.js';
import { formatChange, formatCount, formatDecimal, formatDuration, formatPercent, formatValue } from './format.js';

/**
 * A name or path with a line-break opportunity after each `_`, `-`, `/`, `.` and `?`: a narrow column breaks
 * `booking_created` as `booking_` / `created`, never inside a word (`booking_creat` / `ed`).
 */
export function breakable(text: string): Array<string | Element> {
  const parts = text.split(/(?<=[_\-/.?])/);
  return parts.flatMap((part, index) => (index === 0 ? [part] : [h('wbr'), part]));
}

/** The summary's six figures: label, how to read it from totals, how to print it. */
export const SUMMARY_METRICS: ReadonlyArray<{
  id: string;
  label: string;
  value: (t: StatsTotals) => number;
  format: (v: number) => string;
}> = [
  { id: 'visitors', label: 'Unique visitors', value: (t) => t.visitors, format: formatCount },
  { id: 'visits', label: 'Visits', value: (t) => t.visits, format: formatCount },
  { id: 'pageviews', label: 'Pageviews', value: (t) => t.pageviews, format: formatCount },
  { id: 'views_per_visit', label: 'Views per visit', value: (t) => summaryRates(t).viewsPerVisit, format: formatDecimal },
  { id: 'bounce_rate', label: 'Bounce rate', value: (t) => summaryRates(t).bounceRate, format: formatPercent },
  { id: 'visit_duration', label: 'Visit duration', value: (t) => summaryRates(t).visitDuration, format: formatDuration },
];

/** The summary cards, each with its change against the previous period when there is one. */
export function summaryCards(totals: StatsTotals, previous: StatsTotals | null): Element[] {
  return SUMMARY_METRICS.map((metric) => {
    const value = metric.value(totals);
    const change = previous ? formatChange(value, metric.value(previous)) : null;
    return h('div', { class: 'stat', 'data-metric': metric.id }, [
      h('h3', {}, [metric.label]),
      h('p', { class: 'value' }, [metric.format(value)]),
      previous
        ? h('p', { class: 'change' }, [change ? `${change} vs previous period` : `was ${metric.format(metric.value(previous))}`])
        : null,
    ]);
  });
}

/** The empty state of a panel. */
export const empty = (text = 'No data for this range and these filters.') => h('p', { class: 'empty' }, [text]);

/** A table of breakdown rows; a row's value is a button that filters every panel by it. */
export function breakdownTable(
  dimension: StatsDimension,
  heading: string,
  rows: StatsRow[],
  onFilter: (dimension: StatsDimension, value: string | null) => void,
): Element {
  if (rows.length === 0) return empty();
  const top = Math.max(...rows.map((row) => row.visitors), 1);
  return h('table', { class: 'rows' }, [
    h('thead', {}, [
      h('tr', {}, [
        h('th', { scope: 'col' }, [heading]),
        h('th', { scope: 'col', class: 'num' }, ['Visitors']),
        h('th', { scope: 'col', class: 'num' }, [dimension === 'page' ? 'Pageviews' : 'Visits']),
      ]),
    ]),
    h(
      'tbody',
      {},
      rows.map((row) => {
        const label = formatValue(dimension, row.value);
        const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
        (bar as HTMLElement).style.width = `${(row.visitors / top) * 100}%`;
        return h('tr', { 'data-value': row.value ?? '' }, [
          h('th', { scope: 'row', class: 'label' }, [
            bar,
            h(
              'button',
              { type: 'button', class: 'link', title: `Filter by ${label}`, onclick: () => onFilter(dimension, row.value) },
              breakable(label),
            ),
          ]),
          h('td', { class: 'num' }, [formatCount(row.visitors)]),
          h('td', { class: 'num' }, [formatCount(dimension === 'page' ? row.pageviews : row.visits)]),
        ]);
      }),
    ),
  ]);
}

/** Goals: custom events with their visitors, events and conversion rate (of all visitors in range). */
export function goalsTable(rows: GoalRow[], visitors: number): Element {
  if (rows.length === 0) return empty('No custom events in this range.');
  return h('table', { class: 'rows' }, [
    h('thead', {}, [
      h('tr', {}, [
        h('th', { scope: 'col' }, ['Goal']),
        h('th', { scope: 'col', class: 'num' }, ['Visitors']),
        h('th', { scope: 'col', class: 'num' }, ['Events']),
        h('th', { scope: 'col', class: 'num' }, ['Conversion']),
      ]),
    ]),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h('tr', { 'data-value': row.name }, [
          h('th', { scope: 'row', class: 'label' }, breakable(row.name)),
          h('td', { class: 'num' }, [formatCount(row.visitors)]),
          h('td', { class: 'num' }, [formatCount(row.events)]),
          h('td', { class: 'num' }, [visitors > 0 ? formatPercent(row.visitors / visitors) : '–']),
        ]),
      ),
    ),
  ]);
}

/** A funnel: visits per step, the share of the first step, and the drop from the step before. */
export function funnelList(steps: FunnelRow[]): Element {
  if (steps.length === 0) return empty('Name two or more steps to see how many visits go through them.');
  const first = steps[0]?.visits ?? 0;
  return h(
    'ol',
    { class: 'funnel' },
    steps.map((step, index) => {
      const before = index === 0 ? step.visits : (steps[index - 1]?.visits ?? 0);
      const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
      (bar as HTMLElement).style.width = `${first > 0 ? (step.visits / first) * 100 : 0}%`;
      return h('li', { 'data-step': index + 1 }, [
        bar,
        h('span', { class: 'step' }, [step.kind === 'page' ? `Viewed ${step.value}` : `Did ${step.value}`]),
        h('span', { class: 'num visits' }, [`${formatCount(step.visits)} visit${step.visits === 1 ? '' : 's'}`]),
        h('span', { class: 'num share' }, [
          first > 0 ? formatPercent(step.visits / first) : '–',
          index > 0 && before > 0
            ? step.visits === before
              ? ` (all of step ${index})`
              : ` (−${formatPercent((before - step.visits) / before)} from step ${index})`
            : '',
        ]),
      ]);
    }),
  );
}

// web.dev thresholds: good up to the first value, poor above the second.
const VITAL_THRESHOLDS: Record<string, [number, number]> = {
  LCP: [2500, 4000],
  INP: [200, 500],
  CLS: [0.1, 0.25],
  FCP: [1800, 3000],
  TTFB: [800, 1800],
};

/** Web vitals at the 75th percentile, rated as web.dev rates them. */
export function vitalsTable(rows: VitalRow[]): Element {
  if (rows.length === 0) return empty('No web vitals reported in this range.');
  return h('table', { class: 'rows' }, [
    h('thead', {}, [
      h('tr', {}, [
        h('th', { scope: 'col' }, ['Metric']),
        h('th', { scope: 'col', class: 'num' }, ['p75']),
        h('th', { scope: 'col' }, ['Rating']),
        h('th', { scope: 'col', class: 'num' }, ['Samples']),
      ]),
    ]),
    h(
      'tbody',
      {},
      rows.map((row) => {
        const limits = VITAL_THRESHOLDS[row.name];
        const rating = !limits ? '–' : row.p75 <= limits[0] ? 'Good' : row.p75 <= limits[1] ? 'Needs improvement' : 'Poor';
        const value = row.name === 'CLS' ? formatDecimal(row.p75) : `${formatCount(row.p75)} ms`;
        return h('tr', { 'data-value': row.name }, [
          h('th', { scope: 'row', class: 'label' }, [row.name]),
          h('td', { class: 'num' }, [value]),
          h('td', { class: `rating ${rating === 'Good' ? 'good' : rating === 'Poor' ? 'poor' : 'meh'}` }, [rating]),
          h('td', { class: 'num' }, [formatCount(row.samples)]),
        ]);
      }),
    ),
  ]);
}
