'use client';
import { useTracker } from '@trailmark/react';

/** A custom event from a client component: the provider's tracker, from useTracker(). */
export function SignupButton() {
  const tracker = useTracker();
  return (
    <button type="button" onClick={() => tracker.track('signup', { plan: 'pro' })}>
      Start the pro plan
    </button>
  );
}
