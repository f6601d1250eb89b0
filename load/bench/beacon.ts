import { buildBeacon } from '../../collector/beacon/build.ts'
import { int } from '../lib/report.ts'
import type { BeaconSection } from './results.ts'

/** Section 6: what every storefront page downloads. */
export async function beaconSection(): Promise<BeaconSection> {
  const beacon = await buildBeacon()
  console.log(`  minified ${int(beacon.bytes)} B, gzipped ${int(beacon.gzipBytes)} B`)
  return { bytes: beacon.bytes, gzipBytes: beacon.gzipBytes }
}
