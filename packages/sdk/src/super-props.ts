import { type Props, propsFault, propsProblem } from '@trailmark/protocol';
import type { KeyValue } from './kv.js';

const PROPS_KEY = 'tm_props';

/** Options of `createSuperProps()`. */
export interface SuperPropsOptions {
  _kv: KeyValue;
  /** Whether stored state may be written now (the visitor id's rule: consent granted, and for `consent` persistence, asked). */
  _writable: () => boolean;
  _onError: (error: unknown, where: string) => void;
}

/** Properties added to every later event (`register()`), kept where the visitor id is kept. */
export interface SuperProps {
  /** What every event carries now (a new object after each change, so events tracked earlier keep theirs). */
  readonly _props: Props | undefined;
  /** Adds or replaces properties; refused (reported) when the result breaks the protocol's props limits. */
  _register(props: Props): void;
  _unregister(key: string): void;
  /** Forgets them all, in memory and in storage (`reset()`, consent denied). */
  _clear(): void;
  /** Writes what is held when storage becomes writable (consent granted). */
  _save(): void;
}

/**
 * Creates the super-property store. Read once from the tracker's persistence at start, written on each change
 * while writable, so a registered plan or app version survives reloads exactly as long as the visitor id does.
 */
export function createSuperProps(options: SuperPropsOptions): SuperProps {
  const { _kv: kv, _onError: onError } = options;
  let props: Props | undefined;
  const attempt = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      onError(error, 'storage');
    }
  };
  attempt(() => {
    const stored = JSON.parse(kv.get(PROPS_KEY)!) as unknown;
    // Anything else under our key (tampered, from another version) is ignored, never sent.
    if (stored && !propsFault(stored)) props = stored as Props;
  });
  const save = () => {
    if (options._writable()) attempt(() => (props ? kv.set(PROPS_KEY, JSON.stringify(props)) : kv.remove(PROPS_KEY)));
  };
  const change = (next: Props) => {
    props = Object.keys(next)[0] ? next : undefined;
    save();
  };
  return {
    get _props() {
      return props;
    },
    _register(more) {
      const next = { ...props, ...more };
      const problem = (__DEBUG_BUILD__ ? propsProblem : propsFault)(next);
      if (problem) throw Error(problem);
      change(next);
    },
    _unregister(key) {
      const { [key]: _gone, ...rest } = props ?? {};
      change(rest);
    },
    _clear() {
      props = undefined;
      attempt(() => kv.remove(PROPS_KEY));
    },
    _save: save,
  };
}
