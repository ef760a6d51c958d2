/** One backend the demo can send to (see demo-options.mjs). */
export interface DemoBackend {
  data: string;
  port: string;
  about: string;
}
export const BACKENDS: Record<string, DemoBackend>;
export const OPTIONS: Array<{ flag: string; value?: string; about: string }>;
export const ENVIRONMENT: Array<{ name: string; fallback: string; about: string }>;
export function usage(): string;
/** The demo's parsed options. */
export interface DemoOptions {
  backend: string;
  reset: boolean;
  memory: boolean;
  siteOnly: boolean;
  receiverOnly: boolean;
  build: boolean;
  help: boolean;
}
export function parseArgs(argv: readonly string[]): { options: DemoOptions; error?: undefined } | { error: string; options?: undefined };
export function portOf(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
): { port: number; error?: undefined } | { error: string; port?: undefined };
