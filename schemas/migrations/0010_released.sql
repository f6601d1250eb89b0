-- Released figures: the only tables the read API, the dashboard, the CSV export and the insights
-- job read (docs/privacy.md). The publish job (aggregator/jobs/publish.ts) writes them once per
-- closed period, while that period's visitor sketches still exist, with noise drawn once per
-- cell; rollups hold exact aggregates and nothing but the publish job reads them.
--
-- One row per released cell and measure (long form, so a new figure is a new `measure` or a new
-- `measurement`, never a new column):
--   grain       'day' (a closed UTC day) or 'hour' (a closed hour of the current day)
--   day, slot   the period: its UTC day, and for grain 'hour' the hour of that day (else 0)
--   measurement an id from the measurement list (schemas/measurements.ts)
--   grouping    '' or the one filter the figures are narrowed by (source, device, country, ...)
--   grouping_value the filter's value ('' when grouping is '')
--   k1, k2, k3  the cell's key in the measurement (a path, an event type, ...; '' when unused)
--   measure     'visitors', 'pageviews', 'events', 'revenue', ...
--   value       the noisy figure (may be below zero: readers sum first, then clamp)
--   stddev      the standard deviation of the noise added to `value`
--   version     publications are ranked: the earliest claim of a period wins (see release_ledger)
--
-- ReplacingMergeTree read with FINAL: a publication retried after a lost answer, or two
-- instances that raced past the ledger, leave one value per cell, always the same one.
CREATE TABLE IF NOT EXISTS released (
  site String,
  grain String,
  day Date,
  slot UInt8,
  measurement String,
  grouping String,
  grouping_value String,
  k1 String,
  k2 String,
  k3 String,
  measure String,
  value Float64,
  stddev Float64,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (site, measurement, grain, day, slot, grouping, grouping_value, k1, k2, k3, measure);

-- One row per claim to publish a period (a site's closed day, or one closed hour of it). A
-- publisher inserts its claim, reads the period's claims back, and goes on only when its own is
-- the earliest (by time, then token): a period is noised once, never again, whatever runs where.
-- `rho` is the zCDP budget the publication spends; `epsilon`/`delta` the configuration it ran
-- under; `mechanism` is 'gaussian', or 'off' for a publication without noise (DP_EPSILON=off,
-- refused in production), which the privacy audit reports.
CREATE TABLE IF NOT EXISTS release_ledger (
  site String,
  grain String,
  day Date,
  slot UInt8,
  token String,
  claimed_at DateTime('UTC'),
  rho Float64,
  epsilon Float64,
  delta Float64,
  mechanism String
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, grain, day, slot, claimed_at, token);
