import type { TrailmarkEvent } from '@trailmark/protocol';
import { afterEach, beforeEach, vi } from 'vitest';
import type { Payload, SendOptions, Transport, TransportResult } from '../src/index.js';

/** A recorded send. */
export interface Sent {
  events: TrailmarkEvent[];
  body: string;
  unloading: boolean;
}

/**
 * A fake transport at the network edge: records every payload and answers from a script of results
 * (`ok` once the script runs out). It fails loudly on a payload that is not the protocol's envelope.
 */
export function recordingTransport(script: TransportResult[] = [], server?: { stored: Set<string> }) {
  const sent: Sent[] = [];
  const checked: string[][] = [];
  const transport: Transport = {
    async send(payload: Payload, options: SendOptions) {
      const envelope = JSON.parse(payload.body) as { v: number; events: TrailmarkEvent[] };
      if (envelope.v !== 1 || !Array.isArray(envelope.events)) throw new Error(`not an envelope: ${payload.body.slice(0, 100)}`);
      if (envelope.events.length !== payload.count) throw new Error('payload.count disagrees with the body');
      const bytes = new TextEncoder().encode(payload.body).length;
      if (payload.bytes !== bytes) throw new Error(`payload.bytes is ${payload.bytes}, the body's UTF-8 is ${bytes} bytes`);
      sent.push({ events: envelope.events, body: payload.body, unloading: options.unloading });
      const result = script.shift() ?? { status: 'ok' };
      if (server && result.status === 'ok') for (const event of envelope.events) server.stored.add(event.event_id);
      return result;
    },
  };
  // With a server: it answers checks from what it stored (scripted answers that are not `ok` store nothing).
  if (server) {
    transport.confirm = async (ids) => {
      checked.push(ids);
      return ids.filter((id) => server.stored.has(id));
    };
  }
  return { transport, sent, checked, ids: () => sent.flatMap((s) => s.events.map((e) => e.event_id)) };
}

/** Lets timers and microtasks run (with fake timers: advances them). */
export async function settle(ms = 0) {
  const { vi } = await import('vitest');
  if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(ms);
  else await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Around each test of the calling file: fake timers and clock (2026-11-22 12:00 local), an empty localStorage. */
export function useFakeClock() {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(new Date(2026, 10, 22, 12, 0, 0));
    localStorage.clear();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}
