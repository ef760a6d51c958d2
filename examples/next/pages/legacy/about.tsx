import Head from 'next/head';
import Link from 'next/link';

export default function About() {
  return (
    <>
      <Head>
        <title>About · Trailmark shop</title>
      </Head>
      <h1>Legacy about</h1>
      <Link href="/legacy">Legacy home</Link>
    </>
  );
}
