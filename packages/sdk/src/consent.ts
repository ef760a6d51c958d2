/** The privacy gate's state: `pending` keeps events in memory only; `denied` drops them and clears storage. */
export type ConsentState = 'granted' | 'pending' | 'denied';

/** Options of `initialConsent()`. */
export interface ConsentOptions {
  consent?: ConsentState | undefined;
  respectGPC?: boolean | undefined;
  respectDNT?: boolean | undefined;
}

/**
 * The consent state a tracker starts in, and whether it is fixed by a browser signal:
 * Global Privacy Control (honoured by default) and Do-Not-Track (when asked) deny tracking, and a
 * later `consent('granted')` cannot override the user's browser-wide choice.
 */
export function initialConsent(options: ConsentOptions, nav: Navigator | undefined): { state: ConsentState; locked: boolean } {
  const signals = nav as (Navigator & { globalPrivacyControl?: boolean }) | undefined;
  const locked =
    (options.respectGPC !== false && signals?.globalPrivacyControl === true) ||
    (options.respectDNT === true && signals?.doNotTrack === '1');
  return { state: locked ? 'denied' : (options.consent ?? 'granted'), locked };
}

/**
 * Where the last consent decision is kept (`granted`, `pending` or `denied`), beside the ids: a denial is honoured by
 * every later page of the site until consent is given again (a remembered opt-out: no identifier, only the word),
 * and each decision reaches the site's other open tabs through the `storage` event.
 */
export const CONSENT_KEY = 'tm_consent';
