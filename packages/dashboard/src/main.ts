import type { FunnelStep, StatsData, StatsDimension, StatsPanel } from '@trailmark/protocol';
import { type Connection, downloadCsv, readPanel, StatsError } from './api.js';
import { lineChart } from './chart.js';
import { fill, h } from './dom.js';
import { formatCount, formatValue } from './format.js';
import { breakdownTable, empty, funnelList, goalsTable, summaryCards, vitalsTable } from './panels.js';
import { bucketStarts, dayRange, PRESETS, presetRange, previousRange, type Range, statsParams } from './range.js';
import { REPORT_CARDS, REPORTS, type ReportPanel } from './reports.js';

// The dashboard: one page, no framework. The read key lives in this browser only (sessionStorage, or
// localStorage when the user asks to be remembered) and leaves it only as an Authorization header.

const STORE_KEY = 'trailmark.dashboard';
const LIVE_EVERY_MS = 15_000;

const BREAKDOWNS: ReadonlyArray<{ id: string; title: string; tabs: ReadonlyArray<[StatsDimension, string]> }> = [
  {
    id: 'pages',
    title: 'Pages',
    tabs: [
      ['page', 'Top pages'],
      ['entry_page', 'Entry pages'],
      ['exit_page', 'Exit pages'],
    ],
  },
  {
    id: 'sources',
    title: 'Sources',
    tabs: [
      ['source', 'Channels'],
      ['referrer', 'Referrers'],
      ['utm_source', 'UTM source'],
      ['utm_medium', 'UTM medium'],
      ['utm_campaign', 'UTM campaign'],
    ],
  },
  { id: 'countries', title: 'Countries', tabs: [['country', 'Countries']] },
  {
    id: 'devices',
    title: 'Devices',
    tabs: [
      ['device', 'Devices'],
      ['browser', 'Browsers'],
      ['os', 'Operating systems'],
    ],
  },
];
const DIMENSION_LABELS: Record<StatsDimension, string> = {
  page: 'Page',
  entry_page: 'Entry page',
  exit_page: 'Exit page',
  source: 'Channel',
  referrer: 'Referrer',
  utm_source: 'UTM source',
  utm_medium: 'UTM medium',
  utm_campaign: 'UTM campaign',
  country: 'Country',
  device: 'Device',
  browser: 'Browser',
  os: 'OS',
};
const CHART_METRICS = [
  ['visitors', 'Visitors'],
  ['visits', 'Visits'],
  ['pageviews', 'Pageviews'],
] as const;

interface State {
  connection: Connection | null;
  range: Range;
  compare: boolean;
  filters: Map<StatsDimension, string | null>;
  chartMetric: (typeof CHART_METRICS)[number][0];
  tabs: Record<string, StatsDimension>;
  steps: FunnelStep[];
  /** Whose visits the figures count: people (`exclude` bots, the default) or bots only. */
  bots: 'exclude' | 'only';
  /** The goal and property the goal breakdown shows. */
  goal: { goal: string; prop: string };
}

function savedConnection(): Connection | null {
  for (const store of [sessionStorage, localStorage]) {
    try {
      const saved = JSON.parse(store.getItem(STORE_KEY) ?? 'null') as Connection | null;
      if (saved && typeof saved.endpoint === 'string' && typeof saved.key === 'string') return saved;
    } catch {
      store.removeItem(STORE_KEY);
    }
  }
  return null;
}

function defaultEndpoint(): string {
  const fromUrl = new URLSearchParams(location.search).get('api');
  const meta = document.querySelector('meta[name="trailmark-endpoint"]')?.getAttribute('data-endpoint');
  return fromUrl ?? meta ?? location.origin;
}

/** What the form says of a key check that failed: a refused key, or a backend that could not be read. */
function refusal(error: unknown): string {
  if (error instanceof StatsError && (error.status === 401 || error.status === 403)) return `The backend refused the key: ${error.message}`;
  const message = error instanceof StatsError ? error.message : String(error);
  return `Could not read the backend: ${message}`;
}

/** Starts the dashboard in `root` (the page's `<main>`), with the connection form `form`. */
export function startDashboard(doc: Document = document): void {
  const $ = <T extends Element>(selector: string) => doc.querySelector(selector) as T;
  const form = $<HTMLFormElement>('#connect');
  const main = $<HTMLElement>('#main');
  const state: State = {
    connection: savedConnection(),
    range: presetRange(7, Date.now()),
    compare: true,
    filters: new Map(),
    chartMetric: 'visitors',
    tabs: Object.fromEntries(BREAKDOWNS.map((card) => [card.id, card.tabs[0]?.[0] as StatsDimension])),
    steps: [],
    bots: 'exclude',
    goal: { goal: '', prop: '' },
  };
  let generation = 0;
  let liveTimer: ReturnType<typeof setInterval> | undefined;

  /** The traffic parameter of every request: bots only on request, else the backend leaves them out. */
  function botsParam(): Record<string, string> {
    return state.bots === 'only' ? { bots: 'only' } : {};
  }
  /** A card's CSV button: what the card shows (up to 100 rows), as a file. */
  function csvButton(title: string, what: () => [StatsPanel, Record<string, string>]): Element {
    return h(
      'button',
      {
        type: 'button',
        class: 'quiet csv',
        'aria-label': `Download ${title} as CSV`,
        onclick: () => {
          const connection = state.connection;
          if (!connection) return;
          const [panel, extra] = what();
          downloadCsv(connection, panel, statsParams(state.range, state.filters, { ...extra, ...botsParam() }), doc).catch(
            (error: unknown) => fill($('#connect-error'), `Could not download: ${error instanceof Error ? error.message : String(error)}`),
          );
        },
      },
      ['CSV'],
    );
  }

  // Connection form.
  $<HTMLInputElement>('#endpoint').value = state.connection?.endpoint ?? defaultEndpoint();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const endpoint = $<HTMLInputElement>('#endpoint').value.trim();
    const key = $<HTMLInputElement>('#key').value.trim();
    if (!/^https?:\/\/./.test(endpoint) || key === '') {
      fill($('#connect-error'), 'Enter the backend URL (http:// or https://) and the secret read key.');
      return;
    }
    // The key is checked before the form is left: a refused key is said here, once, not by every panel.
    const submit = $<HTMLButtonElement>('#connect button[type="submit"]');
    submit.disabled = true;
    fill($('#connect-error'), 'Checking the key…');
    try {
      await readPanel({ endpoint, key }, 'live', statsParams(state.range, new Map(), {}));
    } catch (error) {
      fill($('#connect-error'), refusal(error));
      return;
    } finally {
      submit.disabled = false;
    }
    fill($('#connect-error'), null);
    state.connection = { endpoint, key };
    const remember = $<HTMLInputElement>('#remember').checked;
    (remember ? localStorage : sessionStorage).setItem(STORE_KEY, JSON.stringify(state.connection));
    (remember ? sessionStorage : localStorage).removeItem(STORE_KEY);
    $<HTMLInputElement>('#key').value = '';
    show();
  });
  $('#disconnect').addEventListener('click', () => signOut(null));

  /** Back to the form, the header cleared and answers still on their way dropped; `error` is said on the form. */
  function signOut(error: string | null): void {
    sessionStorage.removeItem(STORE_KEY);
    localStorage.removeItem(STORE_KEY);
    state.connection = null;
    generation++;
    if (liveTimer) clearInterval(liveTimer);
    fill($('#live'), null);
    fill($('#backend'), null);
    fill($('#connect-error'), error);
    show();
  }

  // Range and comparison.
  const rangeSelect = $<HTMLSelectElement>('#range');
  for (const [value, preset] of Object.entries(PRESETS))
    rangeSelect.append(h('option', { value, selected: value === '7' }, [preset.label]));
  rangeSelect.append(h('option', { value: 'custom' }, ['Custom dates…']));
  rangeSelect.addEventListener('change', () => {
    const custom = rangeSelect.value === 'custom';
    $<HTMLElement>('#custom').hidden = !custom;
    if (!custom) {
      state.range = presetRange(PRESETS[rangeSelect.value]?.days ?? 7, Date.now());
      refresh();
    }
  });
  $('#custom').addEventListener('submit', (event) => {
    event.preventDefault();
    const range = dayRange($<HTMLInputElement>('#from').value, $<HTMLInputElement>('#to').value);
    fill($('#custom-error'), range ? '' : 'Pick a start day on or before the end day (at most 400 days).');
    if (range) {
      state.range = range;
      refresh();
    }
  });
  $<HTMLInputElement>('#compare').addEventListener('change', (event) => {
    state.compare = (event.target as HTMLInputElement).checked;
    refresh();
  });

  // Cards: chart metric buttons, breakdown tabs, funnel steps.
  const chartMetrics = $('#chart-metric');
  for (const [id, label] of CHART_METRICS) {
    chartMetrics.append(
      h(
        'button',
        {
          type: 'button',
          'aria-pressed': String(id === state.chartMetric),
          'data-metric': id,
          onclick: () => {
            state.chartMetric = id;
            for (const button of chartMetrics.querySelectorAll('button'))
              button.setAttribute('aria-pressed', String(button.dataset.metric === id));
            loadChart(generation);
          },
        },
        [label],
      ),
    );
  }
  const grid = $('#breakdowns');
  for (const card of BREAKDOWNS) {
    const tabs =
      card.tabs.length > 1
        ? h(
            'div',
            { class: 'tabs', role: 'group', 'aria-label': `${card.title}: show` },
            card.tabs.map(([dimension, label]) =>
              h(
                'button',
                {
                  type: 'button',
                  'data-dimension': dimension,
                  'aria-pressed': String(dimension === state.tabs[card.id]),
                  onclick: (event: Event) => {
                    state.tabs[card.id] = dimension;
                    for (const b of (event.currentTarget as Element).parentElement?.querySelectorAll('button') ?? [])
                      b.setAttribute('aria-pressed', String(b === event.currentTarget));
                    loadBreakdown(card.id, generation);
                  },
                },
                [label],
              ),
            ),
          )
        : null;
    grid.append(
      h('section', { class: 'card', id: `panel-${card.id}`, 'aria-labelledby': `title-${card.id}` }, [
        h('div', { class: 'card-head' }, [
          h('h2', { id: `title-${card.id}` }, [card.title]),
          tabs,
          csvButton(card.title, () => ['breakdown', { by: state.tabs[card.id] as StatsDimension, limit: '100' }]),
        ]),
        h('div', { class: 'body', 'aria-live': 'polite' }),
      ]),
    );
  }
  const reports = $('#reports');
  for (const [panel, title] of REPORT_CARDS) {
    const goalForm =
      panel === 'goal_props'
        ? h('form', { class: 'funnel-form', id: 'goal-form' }, [
            h('label', { for: 'goal-name' }, ['Goal']),
            h('input', { id: 'goal-name', type: 'text', placeholder: 'signup', spellcheck: 'false' }),
            h('label', { for: 'goal-prop' }, ['Property']),
            h('input', { id: 'goal-prop', type: 'text', placeholder: 'plan', spellcheck: 'false' }),
            h('button', { type: 'submit' }, ['Break down']),
          ])
        : null;
    reports.append(
      h('section', { class: 'card', id: `panel-${panel}`, 'aria-labelledby': `title-${panel}` }, [
        h('div', { class: 'card-head' }, [
          h('h2', { id: `title-${panel}` }, [title]),
          csvButton(title, () => [panel, reportParams(panel)]),
        ]),
        goalForm,
        h('div', { class: 'body', 'aria-live': 'polite' }),
      ]),
    );
  }
  $('#goal-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.goal = { goal: $<HTMLInputElement>('#goal-name').value.trim(), prop: $<HTMLInputElement>('#goal-prop').value.trim() };
    loadReport('goal_props', generation);
  });
  $('#panel-goals .card-head').append(csvButton('Goals', () => ['goals', { limit: '100' }]));
  const traffic = $<HTMLSelectElement>('#traffic');
  traffic.addEventListener('change', () => {
    state.bots = traffic.value === 'only' ? 'only' : 'exclude';
    refresh();
  });
  $('#funnel-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.steps = $<HTMLInputElement>('#funnel-steps')
      .value.split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean)
      .slice(0, 6)
      .map((s): FunnelStep => (s.startsWith('/') ? { kind: 'page', value: s } : { kind: 'event', value: s }));
    loadFunnel(generation);
  });

  const addFilter = (dimension: StatsDimension, value: string | null) => {
    state.filters.set(dimension, value);
    refresh();
  };

  function show(): void {
    const connected = state.connection !== null;
    form.hidden = connected;
    main.hidden = !connected;
    $<HTMLElement>('#disconnect').hidden = !connected;
    if (!connected) {
      $<HTMLInputElement>('#key').focus();
      return;
    }
    fill($('#backend'), `Reading ${state.connection?.endpoint}`);
    refresh();
    if (liveTimer) clearInterval(liveTimer);
    liveTimer = setInterval(() => loadLive(generation), LIVE_EVERY_MS);
  }

  function renderFilters(): void {
    const chips = [...state.filters].map(([dimension, value]) =>
      h('li', {}, [
        h(
          'button',
          {
            type: 'button',
            class: 'chip',
            'aria-label': `Remove filter ${DIMENSION_LABELS[dimension]}: ${formatValue(dimension, value)}`,
            onclick: () => {
              state.filters.delete(dimension);
              refresh();
            },
          },
          [`${DIMENSION_LABELS[dimension]}: ${formatValue(dimension, value)} ✕`],
        ),
      ]),
    );
    fill($('#filters'), chips.length ? [h('span', {}, ['Filtered by ']), h('ul', {}, chips)] : null);
  }

  /** Runs a panel's requests with its loading, empty and error states; answers of an older refresh are dropped. */
  async function load<T>(
    target: Element,
    gen: number,
    fetchAll: (connection: Connection) => Promise<T>,
    render: (value: T) => Element | Element[],
  ) {
    const connection = state.connection;
    if (!connection) return;
    target.setAttribute('aria-busy', 'true');
    fill(target, h('p', { class: 'loading' }, ['Loading…']));
    try {
      const value = await fetchAll(connection);
      if (gen !== generation) return;
      fill(target, render(value));
    } catch (error) {
      if (gen !== generation) return;
      // A key refused later (revoked, or a remembered one): back to the form, which says so once.
      if (error instanceof StatsError && (error.status === 401 || error.status === 403)) return signOut(refusal(error));
      const message = error instanceof StatsError ? error.message : String(error);
      fill(target, h('p', { class: 'error', role: 'alert' }, [`Could not load: ${message}`]));
    } finally {
      if (gen === generation) target.setAttribute('aria-busy', 'false');
    }
  }

  /** A panel of the current range (or `range`), with the filters. */
  const read =
    <P extends StatsPanel>(panel: P, extra: Record<string, string | string[]> = {}, range = state.range) =>
    (connection: Connection) =>
      readPanel(connection, panel, statsParams(range, state.filters, { ...extra, ...botsParam() }));
  /** A panel of the current range and, when comparing, of the period before. */
  const withPrevious =
    <P extends StatsPanel>(panel: P, extra: Record<string, string | string[]> = {}) =>
    (connection: Connection) =>
      Promise.all([read(panel, extra)(connection), state.compare ? read(panel, extra, previousRange(state.range))(connection) : null]);

  const loadChart = (gen: number) =>
    load($('#chart'), gen, withPrevious('timeseries'), ([data, before]) => {
      if (data.points.length === 0 && !before?.points.length) return empty();
      const buckets = bucketStarts(state.range);
      const shift = state.range.to - state.range.from;
      const series = (points: StatsData['timeseries']['points'], offset: number) => {
        const byT = new Map(points.map((p) => [p.t + offset, p[state.chartMetric]]));
        return buckets.map((t) => byT.get(t) ?? 0);
      };
      const label = CHART_METRICS.find(([id]) => id === state.chartMetric)?.[1] ?? '';
      return lineChart(
        buckets,
        state.range.interval,
        { label, values: series(data.points, 0) },
        before ? { label: `${label}, previous period`, values: series(before.points, shift) } : undefined,
        $('#chart').clientWidth || 720,
      );
    });
  const loadBreakdown = (id: string, gen: number) => {
    const by = state.tabs[id] as StatsDimension;
    const heading = BREAKDOWNS.find((card) => card.id === id)?.tabs.find(([d]) => d === by)?.[1] ?? '';
    return load($(`#panel-${id} .body`), gen, read('breakdown', { by, limit: '10' }), (data) =>
      breakdownTable(by, heading, data.rows, addFilter),
    );
  };
  const loadFunnel = (gen: number) => {
    if (state.steps.length < 2) {
      fill($('#funnel'), empty('Name two or more steps to see how many visits go through them.'));
      return Promise.resolve();
    }
    return load($('#funnel'), gen, read('funnel', { step: state.steps.map((s) => `${s.kind}:${s.value}`) }), (data) =>
      funnelList(data.steps),
    );
  };
  const reportParams = (panel: ReportPanel): Record<string, string> =>
    panel === 'goal_props' ? { ...(state.goal.goal && state.goal.prop ? state.goal : {}), limit: '20' } : { limit: '20' };
  const loadReport = (panel: ReportPanel, gen: number) =>
    load($(`#panel-${panel} .body`), gen, read(panel, reportParams(panel)), (data) =>
      (REPORTS[panel] as (d: typeof data) => Element)(data),
    );
  const loadLive = (gen: number) =>
    load($('#live'), gen, read('live'), (data) =>
      h('span', {}, [
        h('span', { class: 'pulse', 'aria-hidden': 'true' }),
        `${formatCount(data.visitors)} current visitor${data.visitors === 1 ? '' : 's'}`,
      ]),
    );

  function refresh(): void {
    generation++;
    const gen = generation;
    renderFilters();
    // The summary is asked once per refresh: its cards and the goals' conversion rates both use it.
    let summary: ReturnType<ReturnType<typeof withPrevious<'summary'>>> | undefined;
    const summaries = (connection: Connection) => {
      summary ??= withPrevious('summary')(connection);
      return summary;
    };
    void load($('#summary'), gen, summaries, ([data, before]) => summaryCards(data, before));
    void load(
      $('#goals'),
      gen,
      (connection) => Promise.all([read('goals', { limit: '20' })(connection), summaries(connection)]),
      ([goals, [totals]]) => goalsTable(goals.rows, totals.visitors),
    );
    void loadChart(gen);
    for (const card of BREAKDOWNS) void loadBreakdown(card.id, gen);
    void loadFunnel(gen);
    void load($('#vitals'), gen, read('vitals'), (data) => vitalsTable(data.rows));
    void loadLive(gen);
    for (const [panel] of REPORT_CARDS) void loadReport(panel, gen);
  }

  show();
}
