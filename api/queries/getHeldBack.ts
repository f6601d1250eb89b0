import type { HeldList } from '../../schemas/held-back.ts'
import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { LATEST_SNAPSHOT, runQuery } from './common.ts'

const SQL = `
SELECT scope, sum(held) AS held
FROM reco_held_back FINAL
WHERE site = {site:String} AND list = {list:String} AND scope IN ({scope:String}, {also:String})
  AND computed_at = (${LATEST_SNAPSHOT('reco_held_back')})
GROUP BY scope`

/**
 * How many groups of `list` the site's latest insights snapshot held back in `scope` and in
 * `also` (another scope the route may need, e.g. the pooled one), each 0 when none was held back.
 * Counts only: the groups themselves were never written.
 */
export async function getHeldBack(
  warehouse: Warehouse,
  query: { site: string; list: HeldList; scope: string; also?: string; release: Release },
): Promise<Map<string, number>> {
  const also = query.also ?? query.scope
  // A released snapshot holds nothing back by count: what missed its threshold was never published.
  if (query.release === 'differential-privacy') {
    return new Map([
      [query.scope, 0],
      [also, 0],
    ])
  }
  const rows = await runQuery<{ scope: string; held: number }>(warehouse, SQL, {
    site: query.site,
    list: query.list,
    scope: query.scope,
    also,
  })
  const held = new Map([
    [query.scope, 0],
    [also, 0],
  ])
  for (const row of rows) held.set(row.scope, Number(row.held))
  return held
}
