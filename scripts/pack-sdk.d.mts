/** Packs `trailmark` (`npm pack` of the built package) and unpacks it into `into`; returns `into`. */
export function unpackSdk(into: string): string;
