import type { Props } from '@trailmark/protocol';
import type { Plugin } from '../plugin.js';
import { scope } from './scope.js';

/** Options of `textCopy()`. */
export interface TextCopyOptions {
  /** The page's document (tests pass their own). */
  document?: Document;
}

/**
 * Copying: `text_copy` with `{ length, tag, id? }`: how many characters were copied (never the text itself) and the
 * element they came from (the field, or the element holding the start of the selection). Empty copies are skipped.
 */
export function textCopy(options: TextCopyOptions = {}): Plugin {
  return {
    name: 'textCopy',
    setup(tracker) {
      const doc = options.document ?? document;
      const s = scope(tracker, 'textCopy');
      s._on(
        doc,
        'copy',
        (event: ClipboardEvent) => {
          const target = event.target as HTMLInputElement;
          const field = /^(INPUT|TEXTAREA)$/.test(target?.tagName);
          const start = field ? target.selectionStart : null;
          const selection = doc.getSelection();
          const node = selection?.anchorNode;
          const source = field ? target : node?.nodeType === 1 ? (node as Element) : node?.parentElement;
          // A field's selection is not part of the document selection. A field without a selection range (email,
          // number) counts with what the document selection says, which may be 0: unknown.
          const length = start === null ? String(selection ?? '').length : (target.selectionEnd ?? 0) - start;
          if (!source || (length <= 0 && !(field && start === null)) || source.closest('[data-tm-ignore]')) return;
          const props: Props = { length, tag: source.tagName.toLowerCase() };
          if (source.id) props.id = source.id.slice(0, 256);
          tracker.track('text_copy', props);
        },
        true,
      );
      return s._stop;
    },
  };
}
