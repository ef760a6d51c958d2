import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';

export const metadata: Metadata = { title: 'Search · Trailmark shop' };

type Props = { searchParams: Promise<{ q?: string }> };

async function Results({ searchParams }: Props) {
  const { q = '' } = await searchParams;
  return <h1>Results for {q}</h1>;
}

/** Query-only navigations: the path stays /search, each query is a page view of its own. */
export default function Search(props: Props) {
  return (
    <>
      <Suspense fallback={<p>Searching…</p>}>
        <Results {...props} />
      </Suspense>
      <Link href="/search?q=boots">Boots instead</Link>
    </>
  );
}
