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

/** Fetches a panel as CSV (`format=csv`, the key in the header as for every read) and saves it as a file. */
export async function downloadCsv(
  connection: Connection,
  panel: StatsPanel,
  params: URLSearchParams,
  doc: Document = document,
): Promise<void> {
  const query = new URLSearchParams(params);
  query.set('format', 'csv');
  const url = `${connection.endpoint.replace(/\/+$/, '')}/v1/stats/${panel}?${query}`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${connection.key}` }, credentials: 'omit', cache: 'no-store' });
  if (!response.ok) throw new StatsError(`the backend answered ${response.status}`, response.status);
  const link = doc.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `trailmark-${panel}.csv`;
  doc.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
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
