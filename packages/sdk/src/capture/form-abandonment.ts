import type { Props } from '@trailmark/protocol';
import type { Plugin } from '../plugin.js';
import { scope } from './scope.js';

/** Options of `formAbandonment()`. */
export interface FormAbandonmentOptions {
  /** The page's window (tests pass their own). */
  window?: Window;
}

type Started = {
  /** The form's `{ id?, name? }`. */
  props: Props;
  /** Names of the fields typed into (a form's own fields: bounded by the page). */
  touched: Set<string>;
  last: string;
};

/**
 * Form start and abandonment, by field names only, never values: `form_start` with `{ id?, name?, field }` at the
 * first input into a form (typing, choosing, ticking: focus alone, such as an autofocused field, is not a start), and,
 * when the page is left (`pagehide`) with a started form not submitted, `form_abandon` with `{ id?, name?, last_field,
 * fields }`: the last field the visitor reached (focused or filled) and how many fields they touched. A submitted form
 * sends no `form_abandon` (the `forms()` plugin sends its `form_submit`). `data-tm-ignore` silences a form.
 */
export function formAbandonment(options: FormAbandonmentOptions = {}): Plugin {
  return {
    name: 'formAbandonment',
    setup(tracker) {
      const win = options.window ?? window;
      const doc = win.document;
      const s = scope(tracker, 'formAbandonment');
      const started = new Map<HTMLFormElement, Started>();

      /** The field and its form, or undefined for anything else (a field outside a form, a button, an ignored form). */
      const fieldOf = (event: Event): [HTMLFormElement, string] | undefined => {
        // The composed path's first node is the field inside an open shadow root; an event replayed after its dispatch
        // (the script tag's later chunk) has no path left, only its target.
        const field = (event.composedPath()[0] ?? event.target) as HTMLInputElement | null;
        const form = field?.form;
        if (!form || !/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName) || /^(submit|button|reset|image|hidden)$/.test(field.type)) return;
        if (form.closest('[data-tm-ignore]')) return;
        return [form, (field.name || field.id || field.type).slice(0, 128)];
      };
      const onFocus = (event: Event) => {
        const hit = fieldOf(event);
        const state = hit && started.get(hit[0]);
        if (state) state.last = hit[1];
      };
      const onInput = (event: Event) => {
        const hit = fieldOf(event);
        if (!hit) return;
        const [form, field] = hit;
        let state = started.get(form);
        if (!state) {
          const props: Props = {};
          for (const name of ['id', 'name']) {
            // Attributes, not properties: `form.id` is shadowed by a field named "id".
            const value = form.getAttribute(name);
            if (value) props[name] = value.slice(0, 256);
          }
          state = { props, touched: new Set(), last: field };
          started.set(form, state);
          tracker.track('form_start', { ...props, field });
        }
        state.touched.add(field);
        state.last = field;
      };
      s._on(doc, 'focusin', onFocus, true);
      s._on(doc, 'input', onInput, true);
      s._on(doc, 'change', onInput, true);
      s._on(doc, 'submit', (event: Event) => started.delete(event.target as HTMLFormElement), true);
      s._on(win, 'pagehide', () => {
        for (const { props, touched, last } of started.values())
          tracker.track('form_abandon', { ...props, last_field: last, fields: touched.size });
        // Back from the back/forward cache, the form is a fresh start.
        started.clear();
      });
      return s._stop;
    },
  };
}
