import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { isoTime, LATEST_SNAPSHOT, perRelease, runQuery, sdOf } from './common.ts'

export type AffinityRow = {
  next_product_id: string
  next_category: string
  rank: number
  transitions: number
  visitors: number
  lift: number
  /** The noise of `transitions` and `visitors` (0 in a k-threshold snapshot). */
  transitions_sd: number
  visitors_sd: number
  computed_at: string
}

const SQL = perRelease(
  'affinity',
  (table, sd) => `
SELECT next_product_id, next_category, rank, transitions, visitors, lift,
  ${sd('transitions_sd')} AS transitions_sd, ${sd('visitors_sd')} AS visitors_sd,
  toString(computed_at) AS computed_text
FROM ${table} FINAL
WHERE site = {site:String} AND product_id = {product:String}
  AND computed_at = (${LATEST_SNAPSHOT(table)})
ORDER BY rank, next_product_id`,
)

type Stored = Omit<AffinityRow, 'computed_at'> & { computed_text: string }

/** The products most often viewed next after `product`, from the latest insights run. */
export async function getAffinity(
  warehouse: Warehouse,
  query: { site: string; product: string; release: Release },
): Promise<AffinityRow[]> {
  const rows = await runQuery<Stored>(warehouse, SQL[query.release], {
    site: query.site,
    product: query.product,
  })
  return rows.map((row) => ({
    next_product_id: row.next_product_id,
    next_category: row.next_category,
    rank: Number(row.rank),
    transitions: Number(row.transitions),
    visitors: Number(row.visitors),
    lift: Number(row.lift),
    transitions_sd: sdOf(row.transitions_sd),
    visitors_sd: sdOf(row.visitors_sd),
    computed_at: isoTime(row.computed_text),
  }))
}
