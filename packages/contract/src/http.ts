/** A raw answer, its body always read (so keep-alive connections stay usable). */
export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: answers are asserted field by field
  body: any;
}

/** POSTs a raw body to a batch endpoint; `key` null sends no key at all. */
export async function postRaw(
  url: string,
  body: BodyInit,
  { key, headers = {} }: { key: string | null; headers?: Record<string, string> },
): Promise<Answer> {
  const target = key === null ? url : `${url}?key=${encodeURIComponent(key)}`;
  const streamed = typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
  const response = await fetch(target, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain', ...headers },
    ...(streamed ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed };
}
