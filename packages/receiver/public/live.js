// The live page: a summary from /api/live/summary, then new events from the SSE stream /api/live/stream.
// Plain script, no build step. Everything from events is written with textContent, never as HTML: event
// fields come from web pages and may hold anything. The read key (outside dev mode) lives in memory only.

(() => {
  const HOURS = 24;
  const FEED_MAX = 150;
  /** Events kept for the feed, visible or not, so a type shown again has its recent events back. */
  const KEPT_MAX = 1000;
  const HIDDEN_KEY = 'trailmark.live.hiddenTypes';
  const state = { key: null, summary: null, refreshTimer: 0, retryTimer: 0, controller: null, events: [], hidden: loadHidden() };
  const $ = (id) => document.getElementById(id);

  const authHeaders = () => (state.key ? { authorization: `Bearer ${state.key}` } : {});

  function setStatus(kind, text) {
    const el = $('status');
    el.className = `status ${kind}`;
    el.textContent = text;
  }

  async function loadSummary() {
    const response = await fetch(`/api/live/summary?hours=${HOURS}`, { headers: authHeaders(), cache: 'no-store' });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) {
      askForKey(state.key ? `refused: ${body.error || response.status}` : 'this receiver needs its read key');
      return false;
    }
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    state.summary = body;
    // A feed still empty starts with what arrived before the page opened (the newest first).
    if (!state.events.length) {
      state.events = (body.recent_events || []).slice(0, KEPT_MAX);
      renderFeed();
    }
    render();
    return true;
  }

  function askForKey(message) {
    if (state.controller) state.controller.abort();
    $('dashboard').hidden = true;
    $('key-form').hidden = false;
    setStatus('bad', message);
    $('read-key').focus();
  }

  async function start() {
    try {
      if (!(await loadSummary())) return;
    } catch (error) {
      setStatus('bad', `cannot load: ${error.message}; retrying`);
      state.retryTimer = setTimeout(start, 3000);
      return;
    }
    $('key-form').hidden = true;
    $('dashboard').hidden = false;
    connect();
  }

  // EventSource cannot send an Authorization header, so the stream is read with fetch and parsed here.
  async function connect() {
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    try {
      const response = await fetch('/api/live/stream', { headers: authHeaders(), signal: controller.signal, cache: 'no-store' });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      setStatus('ok', `live · site ${state.summary.site_id}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          handleMessage(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
      throw new Error('stream ended');
    } catch (error) {
      if (controller.signal.aborted) return;
      setStatus('bad', `disconnected (${error.message}); reconnecting`);
      state.retryTimer = setTimeout(() => start(), 2000);
    }
  }

  function handleMessage(block) {
    let type = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (type !== 'events' || data.length === 0) return;
    let events;
    try {
      events = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    if (Array.isArray(events)) addEvents(events);
  }

  function addEvents(events) {
    const summary = state.summary;
    const feed = $('feed');
    state.events = [...events].reverse().concat(state.events).slice(0, KEPT_MAX);
    for (const event of events) {
      summary.counts[event.type] = (summary.counts[event.type] || 0) + 1;
      summary.total_events += 1;
      if (event.type === 'pageview') {
        const hours = summary.pageviews_per_hour;
        const hour = new Date(Math.floor(event.ts / 3_600_000) * 3_600_000).toISOString();
        const bucket = hours.find((entry) => entry.hour === hour);
        if (bucket) bucket.count += 1;
        else if (hours.length === 0 || hour > hours[hours.length - 1].hour) {
          hours.push({ hour, count: 1 });
          if (hours.length > HOURS) hours.shift();
        }
        const page = summary.top_pages.find((entry) => entry.path === event.path);
        if (page) page.count += 1;
        else summary.top_pages.push({ path: event.path, count: 1 });
        summary.top_pages.sort((a, b) => b.count - a.count);
      }
      if (!state.hidden.has(event.type)) feed.prepend(feedItem(event));
    }
    while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
    render();
    // Percentiles and referrer hosts are the server's to compute: refresh them shortly after a burst.
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(() => loadSummary().catch(() => undefined), 2500);
  }

  // Which event types the feed hides (scroll_depth and web_vital can be most of the events): kept in this
  // browser's localStorage, as a preference of the page, never sent anywhere.
  function loadHidden() {
    try {
      return new Set(JSON.parse(localStorage.getItem(HIDDEN_KEY) || '[]'));
    } catch {
      return new Set();
    }
  }

  function setHidden(type, hidden) {
    if (hidden) state.hidden.add(type);
    else state.hidden.delete(type);
    try {
      localStorage.setItem(HIDDEN_KEY, JSON.stringify([...state.hidden]));
    } catch {
      // Storage refused (private mode): the choice lasts as long as the page.
    }
    renderFeed();
  }

  function renderFeed() {
    const shown = state.events.filter((event) => !state.hidden.has(event.type)).slice(0, FEED_MAX);
    $('feed').replaceChildren(...shown.map((event) => feedItem(event, false)));
  }

  /** One checkbox per event type seen (in the counts or the feed), checked when the feed shows it. */
  function renderTypeFilter() {
    const types = new Set([...Object.keys(state.summary.counts), ...state.events.map((event) => event.type)]);
    const box = $('feed-types');
    const have = [...box.querySelectorAll('input')].map((input) => input.value);
    const wanted = [...types].sort();
    if (have.join('\n') === wanted.join('\n')) return;
    const legend = box.querySelector('legend');
    box.replaceChildren(
      legend,
      ...wanted.map((type) => {
        const label = document.createElement('label');
        const input = document.createElement('input');
        input.type = 'checkbox';
        input.value = type;
        input.checked = !state.hidden.has(type);
        input.addEventListener('change', () => setHidden(type, !input.checked));
        label.append(input, ` ${type}`);
        return label;
      }),
    );
  }

  /** One line of the feed; `fresh` (just arrived) flashes it. */
  function feedItem(event, fresh = true) {
    const li = document.createElement('li');
    if (fresh) li.className = 'new';
    const time = document.createElement('span');
    time.textContent = `${new Date(event.ts).toLocaleTimeString()} `;
    const type = document.createElement('span');
    type.className = 'type';
    type.textContent = event.type;
    const detail = document.createElement('span');
    const props = event.props ? ` ${JSON.stringify(event.props).slice(0, 200)}` : '';
    detail.textContent = ` ${event.path || ''}${props} · session ${String(event.session_id).slice(0, 8)}`;
    li.append(time, type, detail);
    return li;
  }

  function render() {
    const summary = state.summary;
    $('range').textContent = `(last ${summary.hours} h)`;
    $('total').textContent = `(${summary.total_events})`;
    fillTable(
      'counts',
      Object.entries(summary.counts).sort((a, b) => b[1] - a[1]),
    );
    fillTable(
      'pages',
      summary.top_pages.slice(0, 10).map((entry) => [entry.path, entry.count]),
    );
    fillTable(
      'referrers',
      summary.top_referrers.map((entry) => [entry.referrer, entry.count]),
    );
    fillTable(
      'sources',
      (summary.top_sources || []).map((entry) => [entry.kind === 'direct' ? 'direct' : `${entry.source} · ${entry.kind}`, entry.count]),
    );
    fillTable(
      'campaigns',
      (summary.top_campaigns || []).map((entry) => [entry.campaign, entry.count]),
    );
    fillTable(
      'vitals',
      Object.entries(summary.web_vitals).map(([name, vital]) => [name, formatVital(name, vital.p75), `n=${vital.count}`]),
    );
    drawChart(summary.pageviews_per_hour);
    renderTypeFilter();
  }

  function formatVital(name, value) {
    return name === 'CLS' ? value.toFixed(3) : `${Math.round(value)} ms`;
  }

  function fillTable(id, rows) {
    const body = $(id).tBodies[0];
    body.replaceChildren(
      ...(rows.length === 0 ? [['nothing yet']] : rows).map((cells) => {
        const tr = document.createElement('tr');
        cells.forEach((cell, index) => {
          const td = document.createElement('td');
          if (index > 0) td.className = 'n';
          td.textContent = String(cell);
          tr.append(td);
        });
        return tr;
      }),
    );
  }

  /** The y-axis' top: the maximum rounded up to 1, 2 or 5 × a power of ten, so its ticks are round numbers. */
  function niceMax(max) {
    const power = 10 ** Math.floor(Math.log10(Math.max(1, max)));
    const top = [1, 2, 5, 10].map((f) => f * power).find((value) => value >= max);
    return Math.max(top, 2);
  }

  let drawnHours = null;
  let drawnWidth = 0;
  // Drawn at the chart's own width, one SVG unit a pixel: a stretched viewBox (preserveAspectRatio="none") squashed
  // the hour labels on a phone. Redrawn when that width changes, and when the page is first shown (hidden, it has none).
  new ResizeObserver(() => {
    if (drawnHours && $('chart').clientWidth !== drawnWidth) drawChart(drawnHours);
  }).observe($('chart'));

  function drawChart(hours) {
    drawnHours = hours;
    const NS = 'http://www.w3.org/2000/svg';
    drawnWidth = $('chart').clientWidth;
    const width = Math.max(240, drawnWidth || 720);
    const height = 160;
    const bottom = 18;
    const top = 8;
    // Room for the y-axis labels on the left.
    const left = 34;
    const max = niceMax(Math.max(0, ...hours.map((entry) => entry.count)));
    const plot = height - bottom - top;
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `pageviews per hour, last ${hours.length} hours, at most ${Math.max(0, ...hours.map((e) => e.count))}`);
    const element = (name, attributes, text) => {
      const node = document.createElementNS(NS, name);
      for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
      if (text !== undefined) node.textContent = text;
      svg.append(node);
      return node;
    };
    // Gridlines and counts at 0, half and the top.
    for (const tick of [0, max / 2, max]) {
      const y = height - bottom - (plot * tick) / max;
      element('line', { x1: left, x2: width, y1: y, y2: y });
      element('text', { class: 'y', x: left - 4, y: y + 3 }, Number.isInteger(tick) ? String(tick) : tick.toFixed(1));
    }
    const step = (width - left) / Math.max(1, hours.length);
    hours.forEach((entry, index) => {
      const barHeight = (plot * entry.count) / max;
      const x = left + index * step + 1;
      const rect = element('rect', { x, y: height - bottom - barHeight, width: Math.max(1, step - 2), height: barHeight });
      const title = document.createElementNS(NS, 'title');
      title.textContent = `${entry.hour.slice(11, 16)} UTC: ${entry.count}`;
      rect.append(title);
      // A label every 3 hours, or fewer where they would touch (about 30 px each at 10 px type).
      if (index % Math.max(3, Math.ceil(32 / step)) === 0) element('text', { x, y: height - 4 }, entry.hour.slice(11, 16));
    });
    $('chart').replaceChildren(svg);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('key-form').addEventListener('submit', (submit) => {
      submit.preventDefault();
      state.key = $('read-key').value.trim();
      $('read-key').value = '';
      clearTimeout(state.retryTimer);
      start();
    });
    start();
  });
})();
