/**
 * Whether a visitor is in a sample of `rate` (0–1): a hash of the visitor id (FNV-1a), so the same visitor is in or
 * out on every page and every tab, and whole journeys are kept rather than scattered events.
 */
export function inSample(visitorId: string, rate: number): boolean {
  let hash = 2166136261;
  for (let i = 0; i < visitorId.length; i++) hash = Math.imul(hash ^ visitorId.charCodeAt(i), 16777619);
  return (hash >>> 0) / 2 ** 32 < rate;
}
