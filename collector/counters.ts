import type { Metrics } from '../core/metrics.ts'
import { DROP_REASONS } from './pipeline.ts'

/**
 * The collector's counters on `GET /metrics`, defined once. Each is a function that adds to its
 * series; the request path and the write buffer call them and know nothing of Prometheus.
 */
export type CollectorCounters = ReturnType<typeof collectorCounters>

export function collectorCounters(metrics: Metrics) {
  const dropped = metrics.counter('tally_events_dropped_total', 'Events dropped, by reason.')
  for (const reason of DROP_REASONS) dropped({ reason }, 0)
  const refused = metrics.counter(
    'tally_requests_refused_total',
    'Requests refused before their events were looked at, by reason.',
  )
  for (const reason of ['rate_limited', 'timeout', 'unavailable']) refused({ reason }, 0)
  return {
    received: metrics.counter('tally_events_received_total', 'Events that passed validation.'),
    accepted: metrics.counter(
      'tally_events_accepted_total',
      'Events answered 202 and queued for the warehouse.',
    ),
    dropped,
    refused,
    clipped: metrics.counter(
      'tally_engagement_clipped_total',
      'Engagement reports cut to the engaged seconds their visitor-day had left (contribution bound).',
    ),
    visitsCut: metrics.counter(
      'tally_visits_bounded_total',
      'Pageviews kept without beginning a visit or taking a bounce back: past the visits of their visitor-day (contribution bound).',
    ),
    flushed: metrics.counter('tally_events_flushed_total', 'Events written to the warehouse.'),
    flushErrors: metrics.counter('tally_flush_errors_total', 'Failed writes to the warehouse (retried).'),
    retries: metrics.counter(
      'tally_flush_retries_total',
      'Inserts retried after a failure (the batch stays in the write-ahead log meanwhile).',
    ),
    walCommits: metrics.counter(
      'tally_wal_commits_total',
      'Group commits to the write-ahead log (one write each, and one fsync when WAL_FSYNC_MS is 0).',
    ),
    walSyncs: metrics.counter('tally_wal_fsyncs_total', 'Fsyncs of write-ahead log files.'),
    walAppends: metrics.counter('tally_wal_appends_total', 'Requests acknowledged by those commits.'),
    walSeconds: metrics.counter(
      'tally_wal_commit_seconds_total',
      'Time the commits took (write, and fsync when WAL_FSYNC_MS is 0).',
    ),
    walErrors: metrics.counter('tally_wal_errors_total', 'Failed writes to the write-ahead log.'),
    replayed: metrics.counter(
      'tally_replayed_batches_total',
      'Batches found in the write-ahead log at start, by outcome.',
    ),
    skipped: metrics.counter(
      'tally_dedup_skipped_batches_total',
      'Batches not inserted again because the warehouse already had them.',
    ),
  }
}
