import { type EventRow, emptyRow } from '../../schemas/row.ts'

/** An events_in row for tests: a pageview unless told otherwise. */
export const row = (overrides: Partial<EventRow> = {}): EventRow => ({
  ...emptyRow(),
  hour: '2026-11-20 10:00:00',
  site: 'demo',
  visitor: '1',
  path: '/',
  source: 'direct',
  device: 'desktop',
  browser: 'Chrome',
  os: 'Linux',
  country: 'DE',
  ...overrides,
})
