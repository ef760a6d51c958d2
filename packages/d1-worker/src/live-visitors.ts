import { errorResponse } from '@trailmark/protocol';
import { type Env, numberVar } from './env.js';
import { json } from './http.js';
import type { LiveEvent } from './live-client.js';

/** A visitor on the site right now, as dashboards see it. */
export interface LiveVisitor {
  visitor_id: string;
  session_id: string | null;
  url: string | null;
  path: string | null;
  title: string | null;
  company: string;
  location: string;
  role: string;
  first_seen: number;
  last_seen: number;
}

/** A message to dashboards. */
export type LiveMessage =
  | { type: 'snapshot'; visitors: LiveVisitor[] }
  | { type: 'join'; visitor: LiveVisitor }
  | { type: 'page'; visitor: LiveVisitor }
  | { type: 'leave'; visitor_id: string; reason: 'hidden' | 'timeout' };

/** Each live visitor is one storage entry, so an event rewrites its visitor only, not the whole list. */
const PREFIX = 'visitor:';

/**
 * The live visitor list of one site (one object per site id). The Worker posts each request's newly stored
 * events; visitors join on their first event, move on a page change, and leave on page hide or after
 * `LIVE_TIMEOUT_SECONDS` without events (an alarm sweeps them). Dashboards connect by WebSocket through the
 * hibernation API, so an idle site costs nothing while sockets stay open; the list is kept in storage
 * because a hibernated object wakes with empty memory.
 *
 * A class, because the Durable Object runtime requires one.
 */
export class LiveVisitors implements DurableObject {
  private visitors = new Map<string, LiveVisitor>();
  private readonly timeoutMs: number;
  /** When the sweep alarm is set for (memory only: re-read after waking). */
  private alarmAt: number | null = null;

  constructor(
    private readonly state: DurableObjectState,
    env: Env,
  ) {
    this.timeoutMs = numberVar(env.LIVE_TIMEOUT_SECONDS, 120) * 1000;
    // Answered by the runtime without waking the object.
    state.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
    void state.blockConcurrencyWhile(async () => {
      const saved = await state.storage.list<LiveVisitor>({ prefix: PREFIX });
      this.visitors = new Map([...saved.values()].map((visitor) => [visitor.visitor_id, visitor]));
      this.alarmAt = await state.storage.getAlarm();
    });
  }

  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/events' && request.method === 'POST') {
      const { events } = (await request.json()) as { events: LiveEvent[] };
      await this.apply(events);
      return json({ ok: true });
    }
    if (path === '/connect') return this.openSocket(request);
    if (path === '/snapshot') return json({ ok: true, visitors: this.list() });
    return errorResponse('not_found', 'no such live endpoint');
  }

  private openSocket(request: Request): Response {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return errorResponse('invalid_request', 'expected a WebSocket upgrade');
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.state.acceptWebSocket(server);
    server.send(JSON.stringify({ type: 'snapshot', visitors: this.list() } satisfies LiveMessage));
    // Echo the plain subprotocol when the client offered one (browsers pass the key as `bearer.<key>`).
    const offered = (request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
    const headers: Record<string, string> = offered.includes('trailmark') ? { 'sec-websocket-protocol': 'trailmark' } : {};
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /**
   * Applies events in order, broadcasting joins, page changes and leaves. An event older than the timeout (a late
   * retry, an offline queue sent a day later) says nothing about who is on the site now: it neither makes a visitor
   * live nor moves one; nor does a leave older than the visitor's last event.
   */
  private async apply(events: LiveEvent[]): Promise<void> {
    const ordered = [...events].sort((a, b) => a.ts - b.ts);
    const changed = new Set<string>();
    const cutoff = Date.now() - this.timeoutMs;
    for (const event of ordered) {
      const known = this.visitors.get(event.visitor_id);
      if (event.ts <= cutoff || (known && event.ts < known.last_seen && event.gone)) continue;
      changed.add(event.visitor_id);
      if (event.gone) {
        if (known) {
          this.visitors.delete(event.visitor_id);
          this.broadcast({ type: 'leave', visitor_id: event.visitor_id, reason: 'hidden' });
        }
        continue;
      }
      const visitor: LiveVisitor = {
        visitor_id: event.visitor_id,
        session_id: event.session_id ?? known?.session_id ?? null,
        url: event.url ?? known?.url ?? null,
        path: event.path ?? known?.path ?? null,
        title: event.title ?? known?.title ?? null,
        company: event.company,
        location: event.location,
        role: event.role,
        first_seen: known?.first_seen ?? event.ts,
        last_seen: Math.max(known?.last_seen ?? 0, event.ts),
      };
      this.visitors.set(event.visitor_id, visitor);
      if (!known) this.broadcast({ type: 'join', visitor });
      else if (visitor.url !== known.url) this.broadcast({ type: 'page', visitor });
    }
    await this.save(changed);
  }

  /** Removes visitors silent for longer than the timeout. */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    const cutoff = Date.now() - this.timeoutMs;
    const gone = new Set<string>();
    for (const visitor of [...this.visitors.values()]) {
      if (visitor.last_seen > cutoff) continue;
      this.visitors.delete(visitor.visitor_id);
      gone.add(visitor.visitor_id);
      this.broadcast({ type: 'leave', visitor_id: visitor.visitor_id, reason: 'timeout' });
    }
    await this.save(gone);
  }

  webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    // Dashboards only listen; "snapshot" asks for the list again (after a reconnect, say).
    if (message === 'snapshot') socket.send(JSON.stringify({ type: 'snapshot', visitors: this.list() } satisfies LiveMessage));
  }

  webSocketClose(socket: WebSocket, code: number, reason: string): void {
    // 1005/1006 are reserved and cannot be sent back.
    socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  webSocketError(socket: WebSocket): void {
    socket.close(1011, 'error');
  }

  private list(): LiveVisitor[] {
    return [...this.visitors.values()].sort((a, b) => b.last_seen - a.last_seen);
  }

  private broadcast(message: LiveMessage): void {
    const text = JSON.stringify(message);
    for (const socket of this.state.getWebSockets()) {
      try {
        socket.send(text);
      } catch (error) {
        // A socket closing at this moment: its close handler cleans up; the others still get the message.
        console.warn('live: send failed', (error as Error).message);
      }
    }
  }

  /** Writes the changed visitors (deleting those who left) and makes sure a sweep is due. */
  private async save(changed: ReadonlySet<string>): Promise<void> {
    const puts: Record<string, LiveVisitor> = {};
    const deletes: string[] = [];
    for (const id of changed) {
      const visitor = this.visitors.get(id);
      if (visitor) puts[PREFIX + id] = visitor;
      else deletes.push(PREFIX + id);
    }
    // The storage API takes at most 128 keys per call.
    const entries = Object.entries(puts);
    for (let i = 0; i < entries.length; i += 128) await this.state.storage.put(Object.fromEntries(entries.slice(i, i + 128)));
    for (let i = 0; i < deletes.length; i += 128) await this.state.storage.delete(deletes.slice(i, i + 128));
    // Last-seen times only grow, so an alarm already set is never late; it sweeps and sets the next one.
    if (this.visitors.size === 0 || this.alarmAt !== null) return;
    const next = Math.min(...[...this.visitors.values()].map((v) => v.last_seen + this.timeoutMs));
    this.alarmAt = next;
    await this.state.storage.setAlarm(next);
  }
}
