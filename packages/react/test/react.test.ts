// @vitest-environment node
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { fetchTransport } from 'trailmark';
import { describe, expect, it } from 'vitest';
import { TrailmarkProvider, usePageviews, useTracker } from '../src/index.js';

/** What the components below saw of their tracker. */
const seen: unknown[] = [];

function Page() {
  const tracker = useTracker();
  usePageviews({ pathname: '/pricing', search: '?a=1' });
  tracker.track('rendered');
  seen.push(tracker.visitorId);
  return createElement('p', null, 'ok');
}

function Lone() {
  const tracker = useTracker();
  tracker.track('x');
  seen.push(tracker.dropped());
  return null;
}

describe('@trailmark/react under server rendering', () => {
  it('renders the provider and the hooks in Node with a tracker that does nothing, never throwing', () => {
    seen.length = 0;
    const html = renderToString(
      createElement(TrailmarkProvider, { options: { siteId: 's', transport: fetchTransport({ url: '/e' }) } }, createElement(Page)),
    );
    expect(html).toBe('<p>ok</p>');
    expect(seen).toEqual(['']);
  });

  it("renders @trailmark/react/next's provider to its children alone: page views render nothing, no tracker starts", async () => {
    const { TrailmarkProvider: NextProvider } = await import('../src/next.js');
    const html = renderToString(
      createElement(NextProvider, { options: { siteId: 's', endpoint: '/v1/batch?key=pk' } }, createElement('main', null, 'page')),
    );
    // The page-view component suspends or renders nothing: only its Suspense markers, never markup or a script.
    expect(html.replace(/<!--.*?-->/g, '')).toBe('<main>page</main>');
  });

  it('gives a component outside any provider a tracker that does nothing', () => {
    seen.length = 0;
    expect(renderToString(createElement(Lone))).toBe('');
    expect(seen).toEqual([{}]);
  });
});
