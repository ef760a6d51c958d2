/** The words of a `data-*` list attribute of the script tag (`data-capture`, `data-exclude`…): split on spaces and commas. */
export const list = (value: string | undefined): string[] => (value ?? '').split(/[\s,]+/).filter(Boolean);

/** The capture features `data-capture` turns on; without it, every default one. */
export const captureWords = (data: DOMStringMap): Set<string> =>
  new Set(list(data.capture ?? 'pageviews clicks scroll forms visibility vitals errors'));
