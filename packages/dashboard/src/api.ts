import type { StatsData, StatsPanel } from '@trailmark/protocol';

/** Where to read and with which key. */
export interface Connection {
  endpoint: string;
  key: string;
}

/** A refused or failed request, with the backend's reason when it gave one. */
export class StatsError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Reads one panel. The key travels as `Authorization: Bearer` only, never in the URL (it would land in logs and
 * history). Resolves to the panel's data; rejects with a `StatsError` naming the backend's reason.
 */
export async function readPanel<P extends StatsPanel>(
  connection: Connection,
  panel: P,
  params: URLSearchParams,
  fetchImpl: typeof fetch = fetch,
): Promise<StatsData[P]> {
  const url = `${connection.endpoint.replace(/\/+$/, '')}/v1/stats/${panel}?${params}`;
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { authorization: `Bearer ${connection.key}` }, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new StatsError(`cannot reach ${connection.endpoint}`, 0);
  }
  const body = (await response.json().catch(() => null)) as { ok?: boolean; data?: StatsData[P]; error?: string } | null;
  if (!response.ok || !body?.ok || body.data === undefined) {
    throw new StatsError(body?.error ?? `the backend answered ${response.status}`, response.status);
  }
  return body.data;
}
