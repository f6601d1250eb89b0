import type { Warehouse } from '../warehouse/client.ts'

/**
 * The aggregator's two ways of talking to the warehouse. Queries are fixed strings; values go in
 * as `{name:Type}` parameters, never into the text.
 */

export type Params = Record<string, unknown>

export async function select<T>(warehouse: Warehouse, query: string, params?: Params): Promise<T[]> {
  const result = await warehouse.client.query({
    query,
    format: 'JSONEachRow',
    ...(params ? { query_params: params } : {}),
  })
  return result.json<T>()
}

export async function run(warehouse: Warehouse, query: string, params?: Params): Promise<void> {
  await warehouse.client.command({ query, ...(params ? { query_params: params } : {}) })
}

export class UnsupportedWarehouseError extends Error {
  override name = 'UnsupportedWarehouseError'
}

/**
 * The jobs pass every value as a `{name:Type}` parameter, which ClickHouse has from version 19;
 * on an older server they stop here with a message that says so, rather than with a syntax error.
 */
export async function requireQueryParameters(warehouse: Warehouse): Promise<void> {
  const version = await warehouse.version()
  if (Number(version.split('.')[0]) < 19) {
    throw new UnsupportedWarehouseError(`needs ClickHouse 19 or later (query parameters); this is ${version}`)
  }
}

const DAY_MS = 86_400_000

/** The UTC calendar day `days` after (or before, when negative) the day of `now`, `YYYY-MM-DD`. */
export const dayOffset = (now: Date, days: number): string =>
  new Date(now.getTime() + days * DAY_MS).toISOString().slice(0, 10)

/** `YYYY-MM-DD hh:mm:ss` in UTC, as DateTime('UTC') columns take it. */
export const utcSeconds = (at: Date): string => at.toISOString().slice(0, 19).replace('T', ' ')
