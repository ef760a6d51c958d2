import type { HttpServer } from '@trailmark/node-http';

export function startFront(
  workerdUrl: URL,
  options?: { port?: number; connections?: number; log?: (line: string) => void },
): Promise<HttpServer>;
