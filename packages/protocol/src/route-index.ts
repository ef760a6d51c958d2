import { STATS_PANELS } from './stats/contract.js';

/** What a backend's `GET /` answers: its name, how keys are given, and each route with a line about it. */
export interface RouteIndex {
  ok: true;
  service: string;
  auth: string;
  routes: Record<string, string>;
}

/** The paths every backend answers its health on: `/health` and `/healthz` alike. */
export const HEALTH_PATHS = ['/health', '/healthz'] as const;

/** The routes every backend shares: the batch endpoint, the dashboard's stats contract and health. */
export const COMMON_ROUTES: Readonly<Record<string, string>> = {
  'POST /v1/batch': "the SDK's batch of events, write key",
  'GET /v1/stats/:panel': `the dashboard's read contract (panels ${STATS_PANELS.join(', ')}; docs/dashboard.md), read key`,
  'GET /health': 'ok when the backend can store (also /healthz)',
};

/** The JSON route index a backend answers on `GET /` (to a client that does not ask for a page). */
export function routeIndexResponse(service: string, auth: string, routes: Record<string, string>): Response {
  const body: RouteIndex = { ok: true, service, auth, routes: { ...COMMON_ROUTES, ...routes } };
  return new Response(JSON.stringify(body, null, 2), { headers: { 'content-type': 'application/json; charset=utf-8' } });
}
