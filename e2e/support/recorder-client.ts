import type { Page } from '@playwright/test';
import { PORTS } from './ports.js';

const base = `http://127.0.0.1:${PORTS.recorder}`;

/** An event as the recorder received it. */
export interface RecordedEvent {
  event_id: string;
  type: string;
  ts: number;
  url: string;
  path: string;
  referrer?: string;
  user_id?: string;
  visitor_id: string;
  session_id: string;
  bot?: string;
  props?: Record<string, unknown>;
}

/** One batch the recorder received. */
export interface Recorded {
  status: number;
  /** The request body as sent. */
  body: string;
  ids: string[];
  events: RecordedEvent[];
}

/** Tells the recorder how to answer the next requests (and optionally forgets what it recorded). */
export async function control(body: { reset?: boolean; script?: Array<{ status: number; retryAfter?: number }>; delayMs?: number }) {
  await fetch(`${base}/_control`, { method: 'POST', body: JSON.stringify(body) });
}

/** Everything the recorder received so far. */
export async function recorded(): Promise<Recorded[]> {
  return (await (await fetch(`${base}/_requests`)).json()) as Recorded[];
}

/** Every event acknowledged so far, in arrival order. */
export async function events(): Promise<RecordedEvent[]> {
  return (await recorded()).filter((r) => r.status === 200).flatMap((r) => r.events);
}

/** Ids the recorder acknowledged with 200. */
export async function acceptedIds(): Promise<string[]> {
  return (await events()).map((e) => e.event_id);
}

/** Opens the core test page and waits for its tracker. */
export async function openCore(page: Page, query = '') {
  await page.goto(`/pages/core.html${query}`);
  await page.waitForFunction(() => (window as unknown as { tmReady?: boolean }).tmReady === true);
}
