import type { operations } from './schema.ts'

/**
 * A thin typed client for Tally's `/api/v1`, the recommendation service's API. The types come
 * from the service's OpenAPI document (`schema.ts`, regenerated with `npm run client:types`
 * against a running service); this file only adds the token, the query string and errors.
 * It has no dependency: copy the folder into a service and it runs on Node 18+ or a browser.
 */

type Json<Op extends keyof operations> = operations[Op] extends {
  responses: { 200: { content: { 'application/json': infer Body } } }
}
  ? Body
  : never
type Query<Op extends keyof operations> = operations[Op] extends { parameters: { query: infer Q } }
  ? Q
  : never

export type RecommendQuery = Query<'v1Recommend'>
export type Recommendation = Json<'v1Recommend'>
export type OffersQuery = Query<'v1Offers'>
export type Offers = Json<'v1Offers'>
export type SegmentsQuery = Query<'v1Segments'>
export type Segments = Json<'v1Segments'>
export type AffinityQuery = Query<'v1Affinity'>
export type Affinity = Json<'v1Affinity'>

/** A refusal from Tally (4xx/5xx): its stable `error` code and, for a bad parameter, `field`. */
export class TallyError extends Error {
  override name = 'TallyError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}

export type ClientOptions = {
  /** Where Tally listens, e.g. `https://tally.internal:8787`. */
  baseUrl: string
  /** API_TOKEN (or `$DATA_DIR/api-token`). */
  token: string
  /** Give up after this many ms (default 2000): a recommendation is worth less than the page. */
  timeoutMs?: number
  fetch?: typeof fetch
}

/** The client: one method per `/api/v1` route. */
export function tallyClient(options: ClientOptions) {
  const get = async <Body>(path: string, query: object): Promise<Body> => {
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) params.set(name, String(value))
    }
    const response = await (options.fetch ?? fetch)(`${options.baseUrl}/api/v1/${path}?${params}`, {
      headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    })
    const body = (await response.json().catch(() => ({}))) as Body & {
      error?: string
      message?: string
      field?: string
    }
    if (!response.ok) {
      throw new TallyError(
        response.status,
        body.error ?? 'http',
        body.message ?? response.statusText,
        body.field,
      )
    }
    return body
  }
  return {
    /** The variant to show one visitor: segment resolved by Tally, decision, allocation. */
    recommend: (query: RecommendQuery) => get<Recommendation>('recommend', query),
    offers: (query: OffersQuery) => get<Offers>('offers', query),
    segments: (query: SegmentsQuery) => get<Segments>('segments', query),
    affinity: (query: AffinityQuery) => get<Affinity>('affinity', query),
  }
}
