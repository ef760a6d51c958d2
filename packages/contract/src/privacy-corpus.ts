import type { TrailmarkEvent } from '@trailmark/protocol';
import { luhnValid } from '@trailmark/protocol';
import { type Rng, seeded, uuidFrom } from './random.js';

/**
 * The privacy corpus: sensitive values of every class, generated from a seed, each placed once in one field of one
 * event (URL, path, hash, referrer, title, UTM fields, props at every depth, prop keys, element text, form values),
 * written as a careless page or a hostile client writes it (as is, percent-encoded once or twice, upper case), and
 * values under sensitive names. Each value is fresh, so a value found in clear names its class, encoding and place.
 */

/** One value that must never be stored or served in clear: `needle` is what is looked for. */
export interface Secret {
  /** Class, encoding and place: what a failure names. */
  label: string;
  /** Looked for in every dump and every read answer (digits alone for cards and phones, letters for the rest). */
  needle: string;
}

export interface PrivacyCorpus {
  events: TrailmarkEvent[];
  secrets: Secret[];
  /** A user agent carrying its own secret (the raw string must never be stored). */
  userAgent: string;
  /** The D1 visitor ping's bodies (`/track/visitor`): a careless site's `website` and URL. */
  pings: unknown[];
}

const letters = (rng: Rng, n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[rng.int(0, 25)]).join('');
const digits = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join('');

/** A Visa-shaped number that passes Luhn. */
function cardNumber(rng: Rng): string {
  for (;;) {
    const card = `4${digits(rng, 15)}`;
    if (luhnValid(card)) return card;
  }
}

/** A German IBAN with a valid mod-97 check over random account digits. */
function iban(rng: Rng): string {
  const bban = digits(rng, 18);
  const numeric = `${bban}131400`; // D = 13, E = 14, check digits 00
  let remainder = 0;
  for (const ch of numeric) remainder = (remainder * 10 + Number(ch)) % 97;
  return `DE${String(98 - remainder).padStart(2, '0')}${bban}`;
}

type Written = { value: string; needle: string };
/** Each class: a fresh value and the part of it that must never be found. */
const CLASSES: Record<string, (rng: Rng) => Written> = {
  email: (rng) => {
    const local = `p${letters(rng, 9)}`;
    return { value: `${local}@${rng.pick(['example.com', 'bücher.de', 'mail.example.org'])}`, needle: local };
  },
  card: (rng) => {
    const card = cardNumber(rng);
    const sep = rng.pick(['', ' ', '-', '.', '/']);
    return { value: card.replace(/(\d{4})(?=\d)/g, `$1${sep}`), needle: card };
  },
  iban: (rng) => {
    const value = iban(rng);
    return { value: rng.chance(0.5) ? value.replace(/(.{4})(?=.)/g, '$1 ') : value, needle: value };
  },
  phone: (rng) => {
    const local = digits(rng, 8).replace(/^0/, '7');
    return { value: `+49 151 ${local}`, needle: `151${local}` };
  },
};

const ENCODINGS: Record<string, (text: string) => string> = {
  plain: (t) => t,
  encoded: (t) => encodeURIComponent(t),
  'encoded twice': (t) => encodeURIComponent(encodeURIComponent(t)),
  'upper case': (t) => t.toUpperCase(),
};

/** Where a value is put: a field of the event, or a prop at some depth, or a prop's key. */
const PLACES: Record<string, (value: string) => Partial<TrailmarkEvent> & Record<string, unknown>> = {
  utm_campaign: (v) => ({ utm_campaign: v, url: `https://app.example/?utm_campaign=${v}` }),
  'utm_source and utm_term': (v) => ({ utm_source: v, utm_term: v }),
  'url query': (v) => ({ url: `https://app.example/search?q=${v}` }),
  path: (v) => ({ url: `https://app.example/u/${v}`, path: `/u/${v}` }),
  hash: (v) => ({ url: `https://app.example/#/reset?e=${v}` }),
  'relative form action': (v) => ({ type: 'form_submit', props: { action: `subscribe?email=${v}`, id: 'f' } }),
  referrer: (v) => ({ referrer: `https://mail.example/?to=${v}` }),
  title: (v) => ({ title: `Welcome ${v}` }),
  'element text': (v) => ({ type: 'click', props: { tag: 'a', text: `write to ${v}`, href: `https://app.example/c?to=${v}` } }),
  'prop at depth 4': (v) => ({ type: 'booking_created', props: { a: { b: { c: { d: v } } } } }),
  'prop key': (v) => ({ type: 'booking_created', props: { [v]: 1 } }),
  'array in props': (v) => ({ type: 'booking_created', props: { list: ['x', v] } }),
  'user id': (v) => ({ user_id: v.slice(0, 128) }),
};

/** Sensitive names, each with a fresh value of any shape: replaced whole. */
const NAMES = [
  'pw',
  'pwd',
  'Passwort',
  'kennwort',
  'contraseña',
  'mot_de_passe',
  'パスワード',
  'cvv',
  'CVC',
  'Security Code',
  'card_number',
  'exp_month',
  'IBAN',
  'ssn',
  'tax-id',
  'api_key',
  'accessToken',
  'session',
  'Cookie',
  'authorization',
];

/** The corpus of one seed (the same on every machine and for every backend). */
export function privacyCorpus(seed: number, site: string, now: number): PrivacyCorpus {
  const rng = seeded(seed);
  const session = `s-${letters(rng, 8)}`;
  const visitor = `v-${letters(rng, 8)}`;
  let seq = 0;
  const events: TrailmarkEvent[] = [];
  const secrets: Secret[] = [];
  const event = (fields: Record<string, unknown>): TrailmarkEvent => {
    seq++;
    return {
      event_id: uuidFrom(rng),
      type: 'pageview',
      ts: now - 60_000 + seq,
      site_id: site,
      visitor_id: visitor,
      session_id: session,
      seq,
      url: 'https://app.example/',
      path: '/',
      ...fields,
    } as TrailmarkEvent;
  };
  for (const [name, make] of Object.entries(CLASSES)) {
    for (const [encoding, encode] of Object.entries(ENCODINGS)) {
      for (const [place, put] of Object.entries(PLACES)) {
        const written = make(rng);
        secrets.push({ label: `${name}, ${encoding}, in ${place}`, needle: written.needle });
        events.push(event(put(encode(written.value))));
      }
    }
  }
  const canary = (label: string) => {
    const needle = `k${letters(rng, 11)}`;
    secrets.push({ label, needle });
    return needle;
  };
  for (const name of NAMES) {
    events.push(event({ type: 'booking_created', props: { [name]: canary(`value under ${name}`) } }));
    events.push(event({ type: 'form_submit', props: { values: { [name]: canary(`form value under ${name}`), plan: 'pro' } } }));
    events.push(event({ type: 'signup', props: { step: { fields: [{ name, value: canary(`form field entry ${name}`) }] } } }));
  }
  events.push(event({ type: 'form_submit', props: { pw: 1234, cvv: { nested: canary('object under cvv') } } }));
  events.push(event({ type: 'checkout', props: { values: { password: canary('values.password in a custom event') } } }));
  events.push(
    event({
      url: `https://user:${canary('userinfo in the URL')}@app.example/`,
      referrer: `//u:${canary('userinfo in a relative referrer')}@mail.example/`,
    }),
  );
  for (const param of ['token', 'access_token', 'id_token', 'code', 'password', 'key', 'sig', 'session']) {
    events.push(event({ url: `https://app.example/cb?${param}=${canary(`?${param}= in the URL`)}&page=2` }));
  }
  events.push(event({ url: `https://app.example/cb#access_token=${canary('#access_token= in the fragment')}` }));
  const userAgent = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36 ${canary('the raw user agent')}`;
  const pingEmail = CLASSES.email!(rng);
  secrets.push({ label: 'the visitor ping website, an e-mail', needle: pingEmail.needle });
  const pings = [
    {
      event: 'pageview',
      visitor: {
        visitorId: visitor,
        url: `https://u:${canary('userinfo in the ping URL')}@app.example/?token=${canary('?token= in the ping URL')}`,
      },
      website: pingEmail.value,
    },
  ];
  return { events, secrets, userAgent, pings };
}

/**
 * The values of `secrets` found in `text`: each needle as written, in any letter case, and, for digits, with the
 * separators a store may keep between them (`4111 1111 …`) removed first.
 */
export function findInClear(text: string, secrets: readonly Secret[]): Secret[] {
  const lower = text.toLowerCase();
  let decoded = lower;
  for (let i = 0; i < 3; i++) {
    decoded = decoded.replace(/(?:%[0-9a-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
  const join = (t: string) => t.replace(/(\d)[ ./-](?=\d)/g, '$1').replace(/([a-z0-9]) (?=[a-z0-9])/g, '$1');
  const forms = [lower, decoded, join(lower), join(decoded)];
  return secrets.filter(({ needle }) => {
    const n = needle.toLowerCase();
    return forms.some((form) => form.includes(n));
  });
}
