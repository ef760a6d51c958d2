// A React Router app tracking with @trailmark/react: one provider at the root, page views from the router's
// location, a custom event from a component. Rendered in StrictMode, which renders and runs effects twice in
// development: the tracker and its page views are still counted once.
import { TrailmarkProvider, usePageviews, useTracker } from '@trailmark/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Link, Route, Routes, useLocation, useParams } from 'react-router';
import { clicks, fetchTransport, urlRules } from 'trailmark';

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content;
const endpoint = meta('trailmark-endpoint') ?? '/collect';

function Layout({ children }: { children: React.ReactNode }) {
  usePageviews(useLocation());
  return (
    <>
      <nav>
        <Link to="/">Home</Link> · <Link to="/pricing?ref=nav&gclid=ad-click">Pricing</Link> · <Link to="/docs/install">Docs</Link>
      </nav>
      <main>{children}</main>
    </>
  );
}

function Pricing() {
  const tracker = useTracker();
  return (
    <>
      <h1>Pricing</h1>
      <button type="button" id="signup" onClick={() => tracker.track('signup', { plan: 'pro' })}>
        Start the pro plan
      </button>
    </>
  );
}

function Docs() {
  return <h1>Docs: {useParams().page}</h1>;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <TrailmarkProvider
      options={{
        siteId: meta('trailmark-site') ?? 'react-example',
        transport: fetchTransport({ url: endpoint }),
        flushInterval: 300,
        // The router decides what a page is (usePageviews above), so the pageviews() plugin is not used.
        plugins: [clicks()],
        pageUrl: urlRules({ exclude: ['/react/admin/**'] }),
      }}
    >
      <BrowserRouter basename="/react">
        <Layout>
          <Routes>
            <Route path="/" element={<h1>Home</h1>} />
            <Route path="/pricing" element={<Pricing />} />
            <Route path="/docs/:page" element={<Docs />} />
          </Routes>
        </Layout>
      </BrowserRouter>
    </TrailmarkProvider>
  </StrictMode>,
);
