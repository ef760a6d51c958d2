import { isSensitiveField, type Props, type RedactionRule, redactText } from '@trailmark/protocol';
import type { Plugin } from '../plugin.js';
import { scope } from './scope.js';

/** Options of `forms()`. */
export interface FormsOptions {
  /** Names of fields whose values may be captured (also: a `data-tm-capture` attribute on the field or its form). */
  allow?: string[];
  /**
   * Redaction applied to every captured value (default `DEFAULT_REDACTION_RULES` from `@trailmark/protocol`).
   * Replaces the defaults: extend them with `[...DEFAULT_REDACTION_RULES, myRule]`.
   */
  rules?: readonly RedactionRule[];
  /** The page's document (tests pass their own). */
  document?: Document;
}

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/**
 * Form submissions: one `form_submit` per `submit` event, with `{ id?, name?, action?, method, fields, filled,
 * values? }`: `fields` counts the user-facing fields (a radio group is one), `filled` names those with a value.
 * Private by default: a value is captured only for an allowlisted field, never for a sensitive one
 * (`isSensitiveField()`: passwords, hidden inputs, card/one-time-code autocomplete, card/cvv/ssn/iban/token names)
 * nor a file input, and always through `redactText()`.
 */
export function forms(options: FormsOptions = {}): Plugin {
  return {
    name: 'forms',
    setup(tracker) {
      const doc = options.document ?? document;
      const s = scope(tracker, 'forms');
      // Capture phase: runs before the page's own handler can stop the event (as SPA forms do).
      s._on(
        doc,
        'submit',
        (event: SubmitEvent) => {
          const form = event.target as HTMLFormElement | null;
          if (form?.elements && !form.closest('[data-tm-ignore]')) tracker.track('form_submit', formProps(form, event.submitter, options));
        },
        true,
      );
      return s._stop;
    },
  };
}

function formProps(form: HTMLFormElement, submitter: HTMLElement | null | undefined, options: FormsOptions): Props {
  // Attributes, not properties: `form.id` is shadowed by a field named "id". The button's formaction/formmethod win.
  const attr = (name: string) => submitter?.getAttribute(`form${name}`) || form.getAttribute(name);
  const props: Props = { method: (attr('method') || 'get').toLowerCase() };
  for (const name of ['id', 'name', 'action']) {
    const value = name === 'action' ? attr(name) : form.getAttribute(name);
    if (value) props[name] = value.slice(0, 256);
  }
  const fields = new Set<string>();
  const filled = new Set<string>();
  const values: Props = {};
  let captured = 0;
  Array.from(form.elements).forEach((element, index) => {
    const field = element as Field;
    const type = field.type?.toLowerCase() ?? '';
    if (!/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName) || /^(submit|button|reset|image|hidden)$/.test(type)) return;
    const name = (field.name || field.id).slice(0, 128);
    fields.add(name || `#${index}`);
    const value =
      type === 'checkbox' || type === 'radio'
        ? (field as HTMLInputElement).checked
          ? field.value
          : ''
        : type === 'select-multiple'
          ? Array.from((field as HTMLSelectElement).selectedOptions, (option) => option.value).join(',')
          : field.value;
    if (!name || !value || filled.size >= 50) return;
    filled.add(name);
    if (
      captured < 50 &&
      type !== 'file' &&
      (options.allow?.includes(name) || field.closest('[data-tm-capture]')) &&
      !isSensitiveField({ name: field.name, id: field.id, type, autocomplete: field.getAttribute('autocomplete') })
    ) {
      captured++;
      // Redact the whole value, then cut: a cut first could split a card number into an unrecognised half.
      values[name] = redactText(value, options.rules).slice(0, 1024);
    }
  });
  props.fields = fields.size;
  props.filled = [...filled];
  if (captured) props.values = values;
  return props;
}
