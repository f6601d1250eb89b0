import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { perRelease, runQuery } from './common.ts'

// `computed_at` leads the table's sort key after `site`, so this reads one granule's index.
const SQL = perRelease(
  'offers',
  (table) => `SELECT toString(max(computed_at)) AS at FROM ${table} WHERE site = {site:String}`,
)

/**
 * The `computed_at` of the site's latest offers snapshot, as stored (`1970-01-01 00:00:00` when
 * there is none): the cheap check that tells a cached snapshot from a newer one.
 */
export async function getSnapshotVersion(
  warehouse: Warehouse,
  query: { site: string; release: Release },
): Promise<string> {
  const [row] = await runQuery<{ at: string }>(warehouse, SQL[query.release], { site: query.site })
  return row?.at ?? ''
}
