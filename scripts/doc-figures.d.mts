export function replaceFigures(text: string, name: string, content: string): string;
export function writeFigures(file: string, name: string, content: string): boolean;
export function sizesMarkdown(
  measured: { sizes: Record<string, { min: number; gzip: number }>; plugins: Record<string, { min: number; gzip: number; cap: number }> },
  limits?: { ceilings?: Record<string, number>; budgets?: Record<string, number> },
): string;
export function markdownTable(header: string[], rows: string[][]): string;
