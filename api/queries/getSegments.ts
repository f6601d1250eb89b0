import type { SegmentDevice, SegmentSource } from '../../schemas/constants.ts'
import type { Release } from '../../schemas/privacy.ts'
import type { Warehouse } from '../../warehouse/client.ts'
import { isoTime, LATEST_SNAPSHOT, perRelease, runQuery, sdOf } from './common.ts'

export type SegmentRow = {
  segment: string
  device: SegmentDevice
  country: string
  source: SegmentSource
  category: string
  visitors: number
  /** The noise of `visitors` (0 in a k-threshold snapshot). */
  visitors_sd: number
  computed_at: string
}

const SQL = perRelease(
  'segments',
  (table, sd) => `
SELECT segment, device, country, source, category, visitors, ${sd('visitors_sd')} AS visitors_sd,
  toString(computed_at) AS computed_text
FROM ${table} FINAL
WHERE site = {site:String} AND computed_at = (${LATEST_SNAPSHOT(table)})
ORDER BY visitors DESC, segment`,
)

type Stored = Omit<SegmentRow, 'computed_at'> & { computed_text: string }

/** The segments the insights job settled on (coarsened until each has k visitors). */
export async function getSegments(
  warehouse: Warehouse,
  query: { site: string; release: Release },
): Promise<SegmentRow[]> {
  const rows = await runQuery<Stored>(warehouse, SQL[query.release], { site: query.site })
  return rows.map((row) => ({
    segment: row.segment,
    device: row.device,
    country: row.country,
    source: row.source,
    category: row.category,
    visitors: Number(row.visitors),
    visitors_sd: sdOf(row.visitors_sd),
    computed_at: isoTime(row.computed_text),
  }))
}
