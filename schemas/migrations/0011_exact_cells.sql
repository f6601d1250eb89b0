-- Exact per-day cells of the lists published at coarser grains (ISO weeks, months): what the
-- publish job (aggregator/jobs/publish.ts) read from the rollups for a day while its visitor
-- sketches existed, kept so that a week or month can be published once it has closed, from the
-- true daily unique visitors of each cell (its days summed: the sum of daily uniques). Sketches
-- are destroyed the day after (finalize-sketches), long before a month closes.
--
-- Exact aggregates per cell and day only: no visitor, no sketch, no event. Read by nothing but the
-- publish job; never by the read API. A month's partition is dropped by the publish job as soon
-- as every week and month its days belong to is published (retention drops it too, and the privacy
-- audit reports cells kept longer). One row per cell and measure, as in `released`:
--   day         the UTC day the cell was read for
--   measurement, grouping, grouping_value, k1, k2, k3, measure   as in `released`
--   value       the exact figure (visitors: the day's distinct visitors of the cell)
--
-- ReplacingMergeTree read with FINAL: two publishers that raced past the ledger write the same
-- rows, which fold into one.
CREATE TABLE IF NOT EXISTS exact_cells (
  site String,
  day Date,
  measurement String,
  grouping String,
  grouping_value String,
  k1 String,
  k2 String,
  k3 String,
  measure String,
  value Float64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, measurement, grouping, grouping_value, k1, k2, k3, measure);
