/**
 * The script tag's second file (`trailmark-later.js` / `trailmark-later.min.js`, an IIFE): the capture features a
 * page does not need before its `load` event (clicks, scroll depth, forms, visibility, web vitals, text copy, errors, form
 * abandonment). The first file fetches it after `load` (script-tag-later-load.ts); it hands its plugins to the tracker
 * the first file started. Each plugin is first given the events of its kinds the page fired before the chunk arrived
 * (the first file recorded them); web vitals read theirs from the browser's buffered performance entries.
 * Nothing here may throw into the page.
 */
import { clicks, errors, formAbandonment, forms, scrollDepth, textCopy, visibility, webVitals } from './capture/index.js';
import type { Replaying } from './capture/scope.js';
import type { Plugin, TrackerApi } from './plugin.js';
import type { LaterScript } from './script-tag-later-load.js';
import { captureWords, list } from './script-tag-words.js';

function capture(data: DOMStringMap): Plugin[] {
  const on = captureWords(data);
  const plugins: Plugin[] = [];
  if (on.has('clicks')) plugins.push(clicks());
  if (on.has('scroll')) plugins.push(scrollDepth());
  if (on.has('forms')) plugins.push(forms({ allow: list(data.formsAllow) }));
  if (on.has('visibility')) plugins.push(visibility(data.heartbeat ? { heartbeat: Number(data.heartbeat) } : {}));
  if (on.has('vitals')) plugins.push(webVitals());
  if (on.has('copy')) plugins.push(textCopy());
  if (on.has('errors')) plugins.push(errors());
  if (on.has('form-abandonment')) plugins.push(formAbandonment());
  return plugins;
}

try {
  (document.currentScript as LaterScript | null)?.tm?.((tracker, data, early) => {
    // The page's window and document are where the first file recorded: a listener there is given what it missed.
    const _early = (target: EventTarget, type: string, listener: EventListener) => {
      if (target === window || target === document) for (const event of early) if (event.type === type) listener(event);
    };
    for (const plugin of capture(data))
      tracker.use({
        name: plugin.name,
        setup: (api) => plugin.setup(Object.assign(Object.create(api) as TrackerApi, { _early }) as Replaying),
      });
  });
} catch (error) {
  if (__DEBUG_BUILD__) console.error('[trailmark] failed to start', error);
}
