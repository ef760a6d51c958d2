import Head from 'next/head';
import Link from 'next/link';

export default function Legacy() {
  return (
    <>
      <Head>
        <title>Legacy · Trailmark shop</title>
      </Head>
      <h1>Legacy home</h1>
      <Link href="/legacy/about?from=home">About</Link>
    </>
  );
}
