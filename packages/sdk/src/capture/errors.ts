import { type Props, redactText } from '@trailmark/protocol';
import type { Plugin } from '../plugin.js';
import { scope } from './scope.js';

/** Options of `errors()`. */
export interface ErrorsOptions {
  /** The most `js_error` events one page load sends (default 10); repeats of one error count once. */
  max?: number;
  /** The page's window (tests pass their own). */
  window?: Window;
}

/** A URL without its query and fragment: they hold tokens and e-mail addresses more often than they help. */
function bare(text: string): string {
  return text.replace(/[?#][^\s):]*/g, '');
}

/**
 * JavaScript errors: a `js_error` event with `{ kind: 'error' | 'rejection', name?, message, source?, line?, col?,
 * stack? }` for each uncaught error (`window` `error`) and unhandled promise rejection. Private and bounded: the
 * message and stack go through `redactText()` (and the backends' redaction again), URLs lose their query and fragment,
 * the stack is cut to 10 frames; an error already reported by this page is not sent again, and at most `max`
 * are sent per page load. Failed loads of images and scripts (`error` events without a message) are not errors here.
 */
export function errors(options: ErrorsOptions = {}): Plugin {
  return {
    name: 'errors',
    setup(tracker) {
      const win = options.window ?? window;
      const s = scope(tracker, 'errors');
      const max = options.max ?? 10;
      const seen = new Set<string>();
      /** Set while one is being sent: whatever that throws synchronously is never reported in a loop. */
      let busy = false;

      const report = (props: Props) => {
        const key = `${props.message}|${props.source}|${props.line}`;
        if (busy || seen.has(key) || seen.size >= max) return;
        seen.add(key);
        busy = true;
        try {
          tracker.track('js_error', props);
        } finally {
          busy = false;
        }
      };
      const describe = (kind: string, error: unknown, message: unknown): Props => {
        const props: Props = { kind };
        const err = error as Partial<Error> | null;
        if (typeof err?.name === 'string' && err.name) props.name = err.name.slice(0, 64);
        props.message = redactText(bare(String(message ?? err?.message ?? error)).slice(0, 1500)).slice(0, 512);
        if (typeof err?.stack === 'string')
          props.stack = redactText(
            bare(err.stack)
              .split('\n')
              .filter((line) => line.trim())
              .slice(0, 11)
              .map((line) => line.trim().slice(0, 200))
              .join('\n'),
          ).slice(0, 1024);
        return props;
      };

      s._on(win, 'error', (event: ErrorEvent) => {
        // A resource that failed to load fires a plain `error` event (capture phase only) with no message.
        if (typeof event.message !== 'string') return;
        const props = describe('error', event.error, event.message);
        if (event.filename) props.source = bare(event.filename).slice(0, 512);
        if (event.lineno) props.line = event.lineno;
        if (event.colno) props.col = event.colno;
        report(props);
      });
      s._on(win, 'unhandledrejection', (event: PromiseRejectionEvent) => {
        const reason = event.reason as Partial<Error> | null;
        report(describe('rejection', reason, typeof reason?.message === 'string' ? reason.message : undefined));
      });
      return s._stop;
    },
  };
}
