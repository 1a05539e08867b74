/** The outcome of one backend call: data, or a message that says what went wrong in words a reader can act on. */
export type Outcome<T> = { ok: true; data: T } | { ok: false; error: string; unreachable: boolean };

/** Why a fetch failed, in words: `connection refused`, `timed out after 10 s`, a DNS error... */
export function describeFetchError(error: unknown, timeoutMs: number): { error: string; unreachable: boolean } {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const name = (error as Error).name;
  if (name === 'TimeoutError' || name === 'AbortError') return { error: `timed out after ${timeoutMs / 1000} s`, unreachable: true };
  if (cause?.code === 'ECONNREFUSED') return { error: 'connection refused', unreachable: true };
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return { error: `host not found (${cause.code})`, unreachable: true };
  if (cause?.code) return { error: cause.code, unreachable: true };
  return { error: cause?.message ?? (error as Error).message ?? String(error), unreachable: true };
}

/** GET a JSON document; an HTTP error status keeps the first 200 characters of the body, which is where backends explain. */
export async function getJson(url: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<Outcome<unknown>> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return { ok: false, ...describeFetchError(error, timeoutMs) };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { ok: false, ...describeFetchError(error, timeoutMs) };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const excerpt = text.trim().slice(0, 200);
    return { ok: false, error: `HTTP ${response.status}, not JSON${excerpt ? `: ${excerpt}` : ''}`, unreachable: false };
  }
  if (!response.ok) {
    const detail = (body as { error?: unknown; message?: unknown }).error ?? (body as { message?: unknown }).message;
    return {
      ok: false,
      error: `HTTP ${response.status}${typeof detail === 'string' ? `: ${detail.slice(0, 200)}` : ''}`,
      unreachable: false,
    };
  }
  return { ok: true, data: body };
}
