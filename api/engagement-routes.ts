import { z } from 'zod'
import {
  CustomEventRow,
  CustomPropRow,
  EngagementRow,
  EntryPageRow,
  ExitPageRow,
  LinkRow,
  VisitorKindRow,
} from './engagement-rows.ts'
import { Limit, statsQuery } from './params.ts'
import { getCustomEvents } from './queries/getCustomEvents.ts'
import { getCustomProps } from './queries/getCustomProps.ts'
import { getEngagement } from './queries/getEngagement.ts'
import { getEntryPages } from './queries/getEntryPages.ts'
import { getExitPages } from './queries/getExitPages.ts'
import { getLinks, type LinkKind } from './queries/getLinks.ts'
import { getVisitorKinds } from './queries/getVisitorKinds.ts'
import {
  customEventRows,
  customPropRows,
  engagementRows,
  entryPageRows,
  exitPageRows,
  linkRows,
  visitorKindRows,
} from './released-engagement.ts'
import { releasedRange } from './released-lists.ts'
import { type ReleasedRoute, releasedRoute } from './released-route.ts'

/**
 * `/api/stats/*` views of visits and engagement (docs/engagement.md), through the same gate as
 * every other view: each row is a group of visitors, held back below k. With differential privacy
 * on, each view but `/custom-props` answers from its released measurement instead
 * (api/released-engagement.ts); those measurements are released without filters.
 */

const TRAFFIC = ['source', 'device', 'country'] as const

const entryPages = releasedRoute({
  path: '/entry-pages',
  summary: 'Pages visits began on, with their bounce rate',
  description:
    'A visit is the beacon’s tab context until 30 minutes without an event; no visit id is sent or kept.',
  shape: 'list',
  filters: TRAFFIC,
  query: statsQuery(TRAFFIC, { limit: Limit }),
  row: EntryPageRow,
  handler: (query, ctx) => getEntryPages(ctx.warehouse, query),
  released: {
    filters: [],
    handler: async (query, reader) => entryPageRows(await reader.byKey('entry_exit', releasedRange(query))),
  },
})

const exitPages = releasedRoute({
  path: '/exit-pages',
  summary: 'Pages visits ended on',
  description: 'A view is an exit when no later page of its visit followed it.',
  shape: 'list',
  filters: TRAFFIC,
  query: statsQuery(TRAFFIC, { limit: Limit }),
  row: ExitPageRow,
  handler: (query, ctx) => getExitPages(ctx.warehouse, query),
  released: {
    filters: [],
    handler: async (query, reader) => exitPageRows(await reader.byKey('entry_exit', releasedRange(query))),
  },
})

const engagement = releasedRoute({
  path: '/engagement',
  summary: 'Time on page and scroll depth per page',
  description:
    'Time counts only while the page is visible and focused; scroll depth is the deepest point reached, in quartiles.',
  shape: 'list',
  filters: TRAFFIC,
  query: statsQuery(TRAFFIC, { limit: Limit }),
  row: EngagementRow,
  handler: (query, ctx) => getEngagement(ctx.warehouse, query),
  released: {
    filters: [],
    handler: async (query, reader) => engagementRows(await reader.byKey('engagement', releasedRange(query))),
  },
})

const linkRoute = (path: `/${string}`, kind: LinkKind, summary: string, description: string) =>
  releasedRoute({
    path,
    summary,
    description,
    shape: 'list',
    filters: TRAFFIC,
    query: statsQuery(TRAFFIC, { limit: Limit }),
    row: LinkRow,
    handler: (query, ctx) => getLinks(ctx.warehouse, query, kind),
    released: {
      filters: [],
      handler: async (query, reader) => linkRows(await reader.byKey('links', releasedRange(query)), kind),
    },
  })

const outbound = linkRoute(
  '/outbound-links',
  'outbound',
  'Clicks on links to other sites, per destination host',
  'Only the host is kept, never the path or query of the link.',
)
const downloads = linkRoute(
  '/downloads',
  'download',
  'Clicks on file links, per file',
  'Files are recognised by extension (pdf, zip, csv, xls(x), doc(x), dmg, exe, mp3, mp4); paths are scrubbed.',
)
const notFound = linkRoute(
  '/not-found',
  'not_found',
  'Pages not found, per path asked for',
  'A page reports itself with tally("not_found"). Paths are scrubbed: ids in them read `:id`.',
)

const visitorKinds = releasedRoute({
  path: '/new-returning',
  summary: 'Visits of new and returning visitors',
  description:
    'Returning: the browser first came on an earlier UTC day. It keeps that day itself and sends only the one bit.',
  shape: 'list',
  filters: TRAFFIC,
  query: statsQuery(TRAFFIC, {}),
  row: VisitorKindRow,
  handler: async (query, ctx) =>
    (await getVisitorKinds(ctx.warehouse, query)).filter(
      (row): row is typeof row & { kind: 'new' | 'returning' } =>
        row.kind === 'new' || row.kind === 'returning',
    ),
  released: {
    filters: [],
    handler: async (query, reader) =>
      visitorKindRows(await reader.byKey('visitor_kinds', releasedRange(query))),
  },
})

const customEvents = releasedRoute({
  path: '/custom-events',
  summary: 'Custom events (goals) per name',
  description: 'Events sent with tally("custom", {name, props}).',
  shape: 'list',
  filters: TRAFFIC,
  query: statsQuery(TRAFFIC, { limit: Limit }),
  row: CustomEventRow,
  handler: (query, ctx) => getCustomEvents(ctx.warehouse, query),
  released: {
    filters: [],
    handler: async (query, reader) => customEventRows(await reader.byKey('custom', releasedRange(query))),
  },
})

const customProps = releasedRoute({
  path: '/custom-props',
  summary: 'Property values of custom events',
  description: 'Per event name, property and scrubbed value. The rollup knows no source, device or country.',
  shape: 'list',
  filters: [],
  query: statsQuery([], {
    name: z.string().min(1).max(64).optional().describe('Only this custom event’s properties.'),
    limit: Limit,
  }),
  row: CustomPropRow,
  handler: (query, ctx) => getCustomProps(ctx.warehouse, query, query.name),
  released: {
    filters: [],
    handler: async (query, reader) =>
      customPropRows(await reader.byKey('custom_props', releasedRange(query)), query.name),
  },
})

export const ENGAGEMENT_ROUTES: readonly ReleasedRoute[] = [
  entryPages,
  exitPages,
  engagement,
  outbound,
  downloads,
  notFound,
  visitorKinds,
  customEvents,
  customProps,
]
