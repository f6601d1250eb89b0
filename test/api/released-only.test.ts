import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/*
 * The release boundary in the source: what the read API's queries may name, and who may write
 * the released tables (docs/privacy.md, "Where the release boundary is").
 *
 * A read query names only `released`. The queries listed in STILL_ON_ROLLUPS predate the release
 * step and move to it view by view; the list may only shrink: a new query that names a rollup, or
 * a listed one that names a table it did not, fails here.
 */

const QUERIES = 'api/queries'

const STILL_ON_ROLLUPS: Readonly<Record<string, readonly string[]>> = {
  // Tables named through a template: `FROM ${table}` reads as `template:table`.
  'common.ts': ['template:SNAPSHOT_TABLES', 'template:detailed', 'template:table', 'template:totals'],
  'getAffinity.ts': [],
  'getDailySeries.ts': ['traffic_daily'],
  'getFunnelSteps.ts': ['funnel_daily'],
  'getHourlySeries.ts': ['traffic_daily', 'traffic_hourly'],
  'getOfferInsights.ts': [],
  'getOffers.ts': ['offers_daily'],
  'getPages.ts': ['pages_daily'],
  'getProducts.ts': ['products_daily'],
  'getSearchTerms.ts': ['search_daily'],
  'getSegments.ts': [],
  'getSources.ts': [],
  'getTechBreakdown.ts': [],
  'getTrafficByType.ts': ['traffic_daily'],
  'getTransitions.ts': ['transitions_daily'],
  // Built beside the release step (visits and engagement; the recommendation snapshot that
  // /api/v1/recommend caches): on the k gate until their views move to released figures too.
  'getCustomEvents.ts': ['custom_daily'],
  'getCustomProps.ts': ['custom_props_daily'],
  'getEngagement.ts': ['engagement_daily'],
  // With the engaged time of the visits begun on each page (0012_entry_engaged.sql), which the
  // same measurement releases (aggregator/release/measurements.ts, `entry_exit`).
  'getEntryPages.ts': ['entry_engaged_daily', 'entry_exit_daily'],
  'getExitPages.ts': ['entry_exit_daily'],
  'getLinks.ts': ['links_daily'],
  'getOfferSnapshot.ts': [],
  'getSnapshotVersion.ts': [],
  // The counts of what each insights snapshot held back (reco_held_back): with the snapshot.
  'getHeldBack.ts': [],
  'getVisitSeries.ts': ['visits_daily', 'visits_hourly'],
  'getVisitorKinds.ts': ['visitor_kinds_daily'],
  'getVisits.ts': ['visits_daily'],
}

/** Every table a source file's SQL reads: the word after FROM or JOIN, templates included. */
function tablesRead(source: string): string[] {
  const names = [...source.matchAll(/\b(?:FROM|JOIN)\s+(\$\{[A-Za-z_]+\}?|[a-z_][a-z0-9_]*)/g)].map((match) =>
    (match[1] as string).replace(/^\$\{([A-Za-z_]+)\}?$/, 'template:$1'),
  )
  return [...new Set(names)].sort()
}

const source = (file: string) => readFileSync(join(QUERIES, file), 'utf8')

describe('the read API reads released figures only', () => {
  it('names no table but `released` in a query outside the shrinking list', () => {
    const files = readdirSync(QUERIES).filter((file) => file.endsWith('.ts'))
    for (const file of files) {
      // A snapshot query's table comes from `perRelease` (queries/common.ts), which names only the
      // reco_* snapshot tables of each release mode.
      const snapshot = /perRelease\(\s*'/.test(source(file))
      const tables = tablesRead(source(file)).filter(
        (table) => !table.startsWith('reco_') && !(snapshot && table === 'template:table'),
      )
      if (file in STILL_ON_ROLLUPS) {
        expect(
          tables.filter((table) => table !== 'released'),
          file,
        ).toEqual([...(STILL_ON_ROLLUPS[file] ?? [])].sort())
      } else {
        expect(tables, file).toEqual(['released'])
      }
    }
  })

  it('reads released cells through getReleased, which names `released` and nothing else', () => {
    const cells = readFileSync('warehouse/released/cells.ts', 'utf8')
    expect(tablesRead(cells)).toEqual(['released'])
    expect(cells).toContain('FROM released FINAL')
  })

  it('lets only the publish job write the released tables', () => {
    const writers: string[] = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) {
          if (!['node_modules', 'test', 'data', '.git', 'docs'].includes(entry.name)) walk(path)
        } else if (/\.(ts|tsx|js)$/.test(entry.name)) {
          const text = readFileSync(path, 'utf8')
          if (
            /INSERT INTO (released|release_ledger)\b|insert\(\{\s*table: '(released|release_ledger)'/.test(
              text,
            )
          ) {
            writers.push(path)
          }
        }
      }
    }
    walk('.')
    expect(writers.sort()).toEqual(['aggregator/jobs/publish.ts', 'aggregator/release/ledger.ts'])
  })
})
