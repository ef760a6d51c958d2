import type { Metadata } from 'next';
import { SignupButton } from './signup-button';

export const metadata: Metadata = { title: 'Pricing · Trailmark shop' };

export default function Pricing() {
  return (
    <>
      <h1>Pricing</h1>
      <SignupButton />
    </>
  );
}
