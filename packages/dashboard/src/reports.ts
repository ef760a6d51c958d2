import type { StatsData } from '@trailmark/protocol';
import { h } from './dom.js';
import { formatCount, formatDecimal, formatDuration, formatPercent } from './format.js';
import { empty } from './panels.js';

/** A column of a report table: heading, the cell's text, and whether it is a number. */
type Column<R> = readonly [heading: string, cell: (row: R) => string, numeric?: boolean];

/** A table of a report's rows (the first column is each row's header). */
export function reportTable<R>(rows: readonly R[], columns: ReadonlyArray<Column<R>>, emptyText: string): Element {
  if (rows.length === 0) return empty(emptyText);
  return h('table', { class: 'rows' }, [
    h('thead', {}, [
      h(
        'tr',
        {},
        columns.map(([heading, , numeric]) => h('th', { scope: 'col', ...(numeric ? { class: 'num' } : {}) }, [heading])),
      ),
    ]),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          {},
          columns.map(([, cell, numeric], index) =>
            index === 0 ? h('th', { scope: 'row', class: 'label' }, [cell(row)]) : h('td', numeric ? { class: 'num' } : {}, [cell(row)]),
          ),
        ),
      ),
    ),
  ]);
}

const share = (part: number, whole: number) => (whole > 0 ? formatPercent(part / whole) : '–');
const money = (amount: number, currency: string) => {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount);
  } catch {
    return `${formatDecimal(amount)} ${currency}`;
  }
};
type Rows<P extends keyof StatsData> = StatsData[P] extends { rows: Array<infer R> } ? R : never;

/** The report cards below the traffic figures: each a panel of the read contract, rendered as a table. */
export const REPORTS = {
  goal_props: (data: StatsData['goal_props']) =>
    data.goal === null || data.prop === null
      ? empty('Name a goal and one of its properties to break the goal down.')
      : reportTable<Rows<'goal_props'>>(
          data.rows,
          [
            [data.prop, (row) => row.value],
            ['Visitors', (row) => formatCount(row.visitors), true],
            ['Events', (row) => formatCount(row.events), true],
          ],
          `No ${data.goal} events with ${data.prop} in this range.`,
        ),
  outbound: (data: StatsData['outbound']) =>
    reportTable<Rows<'outbound'>>(
      data.rows,
      [
        ['Link', (row) => row.url],
        ['Visitors', (row) => formatCount(row.visitors), true],
        ['Clicks', (row) => formatCount(row.events), true],
      ],
      'No outbound link clicks in this range.',
    ),
  downloads: (data: StatsData['downloads']) =>
    reportTable<Rows<'downloads'>>(
      data.rows,
      [
        ['File', (row) => row.url],
        ['Visitors', (row) => formatCount(row.visitors), true],
        ['Downloads', (row) => formatCount(row.events), true],
      ],
      'No downloads in this range.',
    ),
  scroll: (data: StatsData['scroll']) =>
    reportTable<Rows<'scroll'>>(
      data.rows,
      [
        ['Page', (row) => row.path],
        ['Visits', (row) => formatCount(row.visits), true],
        ['25%', (row) => share(row.reached_25, row.visits), true],
        ['50%', (row) => share(row.reached_50, row.visits), true],
        ['75%', (row) => share(row.reached_75, row.visits), true],
        ['100%', (row) => share(row.reached_100, row.visits), true],
      ],
      'No pages viewed in this range.',
    ),
  engagement: (data: StatsData['engagement']) =>
    reportTable<Rows<'engagement'>>(
      data.rows,
      [
        ['Page', (row) => row.path],
        ['Visits', (row) => formatCount(row.visits), true],
        ['Engaged per visit', (row) => formatDuration(row.visits > 0 ? row.engaged_ms / row.visits / 1000 : 0), true],
      ],
      'No pages viewed in this range.',
    ),
  revenue: (data: StatsData['revenue']) =>
    reportTable<Rows<'revenue'>>(
      data.rows,
      [
        ['Goal', (row) => `${row.name} (${row.currency})`],
        ['Events', (row) => formatCount(row.events), true],
        ['Revenue', (row) => money(row.amount, row.currency), true],
        ['Average', (row) => money(row.events > 0 ? row.amount / row.events : 0, row.currency), true],
      ],
      'No revenue in this range.',
    ),
  completeness: (data: StatsData['completeness']) =>
    reportTable<StatsData['completeness']['days'][number]>(
      data.days,
      [
        ['Day (UTC)', (day) => new Date(day.t).toISOString().slice(0, 10)],
        ['Lost in transit', (day) => formatCount(day.lost), true],
        [
          'Dropped by the SDK',
          (day) =>
            Object.entries(day.dropped)
              .map(([reason, count]) => `${reason}: ${formatCount(count)}`)
              .join(', ') || '0',
        ],
      ],
      'No event lost or dropped in this range.',
    ),
} as const;

/** A report's panel name. */
export type ReportPanel = keyof typeof REPORTS;

/** The cards, in page order, with their titles. */
export const REPORT_CARDS: ReadonlyArray<[ReportPanel, string]> = [
  ['goal_props', 'Goal breakdown'],
  ['revenue', 'Revenue'],
  ['outbound', 'Outbound links'],
  ['downloads', 'File downloads'],
  ['scroll', 'Scroll depth'],
  ['engagement', 'Engaged time'],
  ['completeness', 'Data completeness'],
];
