import { buildBeacon } from '../../collector/beacon/build.ts'
import { int } from '../lib/report.ts'
import type { BeaconSection } from './results.ts'

/** Section 6: what every storefront page downloads, and what a page with the GA4 bridge adds. */
export async function beaconSection(): Promise<BeaconSection> {
  const beacon = await buildBeacon()
  console.log(`  minified ${int(beacon.bytes)} B, gzipped ${int(beacon.gzipBytes)} B`)
  const ga4 = await buildBeacon('ga4')
  console.log(
    `  GA4 bridge (data-ecommerce="ga4" only): minified ${int(ga4.bytes)} B, gzipped ${int(ga4.gzipBytes)} B`,
  )
  return {
    bytes: beacon.bytes,
    gzipBytes: beacon.gzipBytes,
    ga4: { bytes: ga4.bytes, gzipBytes: ga4.gzipBytes },
  }
}
