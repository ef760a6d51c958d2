import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'Home · Trailmark shop' };

export default function Home() {
  return <h1>Home</h1>;
}
