import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Providers } from './providers';

export const metadata: Metadata = { title: 'Trailmark shop' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <nav>
            <Link href="/">Home</Link> · <Link href="/pricing">Pricing</Link> · <Link href="/product/42">Product 42</Link> ·{' '}
            <Link href="/search?q=shoes">Search</Link> · <Link href="/contact">Contact</Link>
          </nav>
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
