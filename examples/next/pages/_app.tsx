// The Pages Router (pages/): the same tracker, from @trailmark/react's provider in the custom App, and page views
// from the router's asPath once it is ready. The App Router pages (app/) have their own provider (app/providers.tsx).
import { TrailmarkProvider, usePageviews } from '@trailmark/react';
import type { AppProps } from 'next/app';
import { useRouter } from 'next/router';
import { clicks, referenceReceiver, type TrackerOptions } from 'trailmark';

const options: TrackerOptions = {
  siteId: 'demo',
  transport: referenceReceiver({ endpoint: process.env.NEXT_PUBLIC_TRAILMARK_ENDPOINT ?? 'http://127.0.0.1:8787', key: 'pk_demo' }),
  plugins: [clicks()],
  flushInterval: 300,
};

function Pageviews() {
  const router = useRouter();
  // Before isReady, a statically optimised dynamic page's asPath is its pattern (/post/[id]): not a page yet.
  usePageviews(router.isReady ? router.asPath : null);
  return null;
}

export default function App({ Component, pageProps }: AppProps) {
  return (
    <TrailmarkProvider options={options}>
      <Pageviews />
      <Component {...pageProps} />
    </TrailmarkProvider>
  );
}
