import { apiQuery, type FilterName } from '../state.ts'
import type { Ctx } from './panel.ts'

/** The read API's query for a view: site, range, and only the filters that view accepts. */
export function viewQuery(ctx: Ctx, view: string, extra: Record<string, string> = {}, range = ctx.state) {
  const query = apiQuery(ctx.state, range)
  for (const name of ['source', 'device', 'country', 'category'] as FilterName[]) {
    if (!ctx.accepts(view).includes(name)) query.delete(name)
  }
  for (const [name, value] of Object.entries(extra)) query.set(name, value)
  return query
}

/** The CSV export's file name: site, view, range and the filters applied. */
export const csvFileName = (ctx: Ctx, name: string) => {
  const { state } = ctx
  const filters = (['source', 'device', 'country', 'category'] as FilterName[])
    .filter((filter) => state[filter])
    .map((filter) => `${filter}-${state[filter]}`)
  const safe = [state.site, name, `${state.from}_${state.to}`, ...filters]
    .join('_')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
  return `tally_${safe}.csv`
}
