/** Reads from the read API through the dashboard's session (`/ui/data/<view>` → `/api/stats/<view>`). */

/** A list answer: its rows, the groups held back, and what it is made of (api/answer-meta.ts). */
export type Released<Row> = { rows: Row[]; suppressed: number; release?: string }

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export async function getJson<T>(view: string, query: URLSearchParams, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`/ui/data/${view}?${query}`, {
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
    ...(signal ? { signal } : {}),
  })
  if (response.status === 401) {
    // The session ran out: back to the login form, returning to this very view afterwards.
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`)
    throw new ApiError(401, 'signed out')
  }
  const body = (await response.json().catch(() => null)) as { message?: string } | null
  if (!response.ok)
    throw new ApiError(response.status, body?.message ?? `the read API answered ${response.status}`)
  return body as T
}

/** A list answer; a bare array (no suppression reported) is read as one with nothing suppressed. */
export async function getRows<Row>(
  view: string,
  query: URLSearchParams,
  signal?: AbortSignal,
): Promise<Released<Row>> {
  const body = await getJson<Released<Row> | Row[]>(view, query, signal)
  if (Array.isArray(body)) return { rows: body, suppressed: 0 }
  return {
    rows: body.rows ?? [],
    // A differentially private answer cannot know what it held back: null, shown as no count.
    suppressed: Number(body.suppressed ?? 0),
    ...(body.release ? { release: body.release } : {}),
  }
}
