import type { Props } from '@trailmark/protocol';
import { debugLog } from './debug.js';
import type { DropReason } from './queue/queue.js';

/** Failures and drops of one tracker: reported once each, counted, never thrown into the page. */
export interface Reporter {
  /** Reports a failure once per distinct `where` and message (to the debug log and `onError`). */
  _report(error: unknown, where: string): void;
  /** Runs `fn`, reporting (never throwing) what it throws. */
  _guard(fn: () => unknown, where: string): void;
  /** Counts dropped events; warns once per reason (and detail) in the console, in every build. */
  _drop(reason: DropReason, count: number, detail?: string): void;
  /** Counts of dropped events by reason. */
  readonly _drops: Partial<Record<DropReason, number>>;
  /** The counts not yet reported in an `sdk_dropped` event (then forgotten), or `undefined` when there are none. */
  _unreported(): Props | undefined;
}

/** Creates the reporter of one tracker. */
export function createReporter(debug: boolean, onError?: (error: Error, where: string) => void): Reporter {
  const reported = new Set<string>();
  const warned = new Set<string>();
  const drops: Partial<Record<DropReason, number>> = {};
  let unreported: Props = {};
  const reporter: Reporter = {
    _report(error, where) {
      const err = error instanceof Error ? error : Error(String(error));
      const key = `${where}:${err.message}`;
      if (!reported.has(key) && reported.size < 100) {
        reported.add(key);
        debugLog(debug, where, err);
        try {
          onError?.(err, where);
        } catch {
          // The host's own hook failed; there is nowhere left to report it.
        }
      }
    },
    _guard(fn, where) {
      try {
        fn();
      } catch (error) {
        reporter._report(error, where);
      }
    },
    _drop(reason, count, detail = '') {
      const why = detail ? `${reason} ${detail}` : reason;
      if (!warned.has(why)) {
        // Never silent, in every build: once per reason (and props limit), in the console and to `onError`.
        warned.add(why);
        console.warn('[trailmark] events dropped:', why);
        reporter._report(Error(`events dropped: ${why}`), 'drop');
      }
      drops[reason] = (drops[reason] ?? 0) + count;
      unreported[reason] = ((unreported[reason] as number) ?? 0) + count;
    },
    _drops: drops,
    _unreported() {
      const counts = unreported;
      unreported = {};
      return Object.keys(counts)[0] ? counts : undefined;
    },
  };
  return reporter;
}
