/** Options of `startStaticServer()` (see serve-static.mjs). */
export interface StaticServerOptions {
  root: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** URL path → absolute file, e.g. `{ '/trailmark.min.js': '/repo/packages/sdk/dist/trailmark.min.js' }`. */
  files?: Record<string, string>;
  /** The receiver URL written into the pages' `data-endpoint` and allowed by the CSP (default http://127.0.0.1:8787). */
  endpoint?: string;
  /** The script tag's adapter written into the pages' `data-transport` (default `reference`, as the pages say). */
  transport?: 'reference' | 'postgres' | 'd1';
  /** Same-origin script paths put first in every page's `<head>`, before the page's own scripts. */
  headScripts?: string[];
  /**
   * URL path prefix → backend URL: requests under the prefix are forwarded there, the prefix replaced by the URL's
   * path (`{ '/s/e': 'http://127.0.0.1:8787/v1/batch' }`): the collect path on the site's own origin.
   */
  proxy?: Record<string, string>;
}

/** A running static server on 127.0.0.1. */
export interface StaticServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_ENDPOINT: string;
export function startStaticServer(options: StaticServerOptions): Promise<StaticServer>;
/** The dashboard's files under `/dashboard/`, for `files` (`repo` is the repository's path, ending in `/`). */
export function dashboardFiles(repo: string): Record<string, string>;
/** The script tag's files (each first file and the second it fetches after `load`), for `files` (`dist` ends in `/`). */
export function scriptTagFiles(dist: string): Record<string, string>;
