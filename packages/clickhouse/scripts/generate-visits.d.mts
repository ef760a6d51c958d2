import type { TrailmarkEvent } from '@trailmark/protocol';

/** One generated visit: its events and the User-Agent it is sent with. */
export interface GeneratedVisit {
  userAgent: string;
  events: TrailmarkEvent[];
}
export declare const USER_AGENTS: string[];
export declare function generateVisits(options: {
  count: number;
  now?: number;
  days?: number;
  seed?: number;
  site?: string;
}): GeneratedVisit[];
export declare function requestsOf(visits: readonly GeneratedVisit[], perRequest?: number): GeneratedVisit[];
