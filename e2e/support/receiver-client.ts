import type { TrailmarkEvent } from '@trailmark/protocol';
import { RECEIVER_URL } from './ports.js';

/** A refused request or event, as the receiver's rejection log keeps it. */
export interface Rejection {
  at: number;
  kind: 'request' | 'event';
  method: string;
  path: string;
  status: number;
  code: string;
  reason: string;
  site_id?: string;
  origin?: string;
  index?: number;
  event_id?: string;
}

/** The receiver's counters (`GET /_trailmark/stats`). */
export interface ReceiverStats {
  events: number;
  by_type: Record<string, number>;
  rejections: number;
  internal_errors: number;
  storage_errors: number;
}

/** Filters of `GET /_trailmark/events`; `min` makes the receiver wait (up to `timeout` ms) for that many. */
export interface EventQuery {
  type?: string;
  session_id?: string;
  site_id?: string;
  event_id?: string;
  limit?: number;
  min?: number;
  timeout?: number;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${RECEIVER_URL}${path}`, init);
  const body = (await response.json()) as T & { ok: boolean; error?: string };
  if (!response.ok || !body.ok) throw new Error(`receiver ${path}: ${response.status} ${body.error ?? ''}`);
  return body;
}

/**
 * A typed client of the reference receiver's test-only inspection endpoints (started with `--dev`): the oracle of
 * the e2e tests is what the receiver *stored*, after validation and redaction.
 */
export const receiver = {
  /** Forgets every event, rollup and rejection (and refills the rate-limit buckets). */
  async reset(): Promise<void> {
    await call('/_trailmark/reset', { method: 'POST' });
  },
  /** Stored events, oldest first, exactly as stored. */
  async events(query: EventQuery = {}): Promise<TrailmarkEvent[]> {
    const params = new URLSearchParams({ limit: '10000' });
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return (await call<{ events: TrailmarkEvent[] }>(`/_trailmark/events?${params}`)).events;
  },
  /** Stored events of one type. */
  async ofType(type: string): Promise<TrailmarkEvent[]> {
    return receiver.events({ type });
  },
  /** Stored event types in arrival order. */
  async types(): Promise<string[]> {
    return (await receiver.events()).map((event) => event.type);
  },
  /** Refused requests and refused events. */
  async rejections(): Promise<Rejection[]> {
    return (await call<{ rejections: Rejection[] }>('/_trailmark/rejections')).rejections;
  },
  async stats(): Promise<ReceiverStats> {
    return call<ReceiverStats>('/_trailmark/stats');
  },
};
