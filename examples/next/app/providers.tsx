'use client';
// The tracker's options live in a client module: plugins and transports are functions, which a Server Component
// (app/layout.tsx) cannot hand to a client one. The layout renders <Providers> around the app.
import { TrailmarkProvider } from '@trailmark/react/next';
import type { ReactNode } from 'react';
import { clicks, forms, referenceReceiver, type TrackerOptions } from 'trailmark';

const options: TrackerOptions = {
  siteId: 'demo',
  // Set when the app is built (next build): the receiver's URL. The demo receiver of `npm start` by default.
  transport: referenceReceiver({ endpoint: process.env.NEXT_PUBLIC_TRAILMARK_ENDPOINT ?? 'http://127.0.0.1:8787', key: 'pk_demo' }),
  // No pageviews() plugin: the provider tracks the App Router's navigations.
  plugins: [clicks(), forms()],
  flushInterval: 300,
};

export function Providers({ children }: { children: ReactNode }) {
  return <TrailmarkProvider options={options}>{children}</TrailmarkProvider>;
}
