import { int } from './columns.ts'
import { fmtDuration } from './format.ts'
import type { Panel } from './panel.ts'
import type { Column, Row } from './table.ts'
import { tablePanel } from './table-panel.ts'

// Visits and engagement (docs/engagement.md): entry and exit pages, time on page and scroll depth,
// links out, downloads, pages not found, new vs returning and custom events.

const rate = (key: string, label: string): Column => ({ key, label, kind: 'rate' })
const seconds = (key: string, label: string): Column => ({
  key,
  label,
  kind: 'text',
  render: (row: Row) => fmtDuration(Number(row[key] ?? 0)),
})
const text = (key: string, label: string): Column => ({ key, label, kind: 'text' })

const single = (id: string, title: string, view: string, columns: Column[], empty: string): Panel =>
  tablePanel({ id, title, view, empty, tabs: [{ id, label: title, columns: () => columns }] })

export const entryPagesPanel = (): Panel =>
  single(
    'entry-pages',
    'Entry pages',
    'entry-pages',
    [
      text('path', 'Page'),
      int('visits', 'Visits', true),
      rate('bounce_rate', 'Bounce rate'),
      // Mean seconds of the visits begun on the page, formatted as the overview's card.
      { key: 'visit_duration', label: 'Visit duration', kind: 'duration' },
      int('visitors', 'Visitors'),
    ],
    'No visits began in this range.',
  )

export const exitPagesPanel = (): Panel =>
  single(
    'exit-pages',
    'Exit pages',
    'exit-pages',
    [
      text('path', 'Page'),
      int('exits', 'Exits', true),
      rate('exit_rate', 'Exit rate'),
      int('visitors', 'Visitors'),
    ],
    'No visits ended in this range.',
  )

export const engagementPanel = (): Panel =>
  single(
    'engagement',
    'Time on page and scroll depth',
    'engagement',
    [
      text('path', 'Page'),
      int('pageviews', 'Pageviews', true),
      seconds('time_on_page', 'Time on page'),
      { key: 'scroll_depth', label: 'Scroll depth', kind: 'text', render: (row) => `${row.scroll_depth} %` },
      rate('reached_50', 'Read half'),
      rate('reached_100', 'Read all'),
      int('visitors', 'Visitors'),
    ],
    'No engagement reported in this range.',
  )

export const outboundPanel = (): Panel =>
  single(
    'outbound-links',
    'Outbound links',
    'outbound-links',
    [text('target', 'Destination'), int('events', 'Clicks', true), int('visitors', 'Visitors')],
    'No clicks on links to other sites in this range.',
  )

export const downloadsPanel = (): Panel =>
  single(
    'downloads',
    'File downloads',
    'downloads',
    [text('target', 'File'), int('events', 'Clicks', true), int('visitors', 'Visitors')],
    'No file downloads in this range.',
  )

export const notFoundPanel = (): Panel =>
  single(
    'not-found',
    'Pages not found (404)',
    'not-found',
    [text('target', 'Path asked for'), int('events', 'Views', true), int('visitors', 'Visitors')],
    'No page was missing in this range.',
  )

export const visitorKindsPanel = (): Panel =>
  single(
    'new-returning',
    'New and returning visitors',
    'new-returning',
    [
      {
        key: 'kind',
        label: 'Visitor',
        kind: 'text',
        render: (row) => (row.kind === 'new' ? 'New' : 'Returning'),
      },
      int('visits', 'Visits', true),
      int('visitors', 'Visitors'),
    ],
    'No visits in this range.',
  )

export const goalsPanel = (): Panel =>
  tablePanel({
    id: 'goals',
    title: 'Goals and custom events',
    view: 'custom-events',
    empty: 'No custom events in this range.',
    tabs: [
      {
        id: 'goals',
        label: 'Events',
        columns: () => [text('name', 'Event'), int('visitors', 'Visitors', true), int('events', 'Events')],
      },
    ],
  })

export const goalPropsPanel = (): Panel =>
  single(
    'goal-props',
    'Custom event properties',
    'custom-props',
    [
      text('name', 'Event'),
      text('prop_key', 'Property'),
      text('prop_value', 'Value'),
      int('visitors', 'Visitors', true),
      int('events', 'Events'),
    ],
    'No properties sent with custom events in this range.',
  )
