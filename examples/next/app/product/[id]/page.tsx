import type { Metadata } from 'next';
import { Suspense } from 'react';

type Props = { params: Promise<{ id: string }> };

/** A route's title from its data: an async generateMetadata, streamed after the page under Cache Components. */
export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  // A slow lookup, as a database read would be: the title arrives after the router has moved to the route.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { title: `Product ${id} · Trailmark shop` };
}

async function Product({ params }: Props) {
  const { id } = await params;
  return <h1>Product {id}</h1>;
}

/** A dynamic route: its params are request data, read inside the page's own <Suspense>. */
export default function ProductPage(props: Props) {
  return (
    <Suspense fallback={<p>Loading…</p>}>
      <Product {...props} />
    </Suspense>
  );
}
