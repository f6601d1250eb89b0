-- Outbound link clicks (destination host), file downloads (scrubbed path) and pages not found
-- (the path that was asked for), per day.
CREATE TABLE IF NOT EXISTS links_daily (
  site String,
  day Date,
  kind String,
  target String,
  source String,
  device String,
  country String,
  events AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, kind, target, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS links_daily_mv TO links_daily AS
SELECT site, toDate(hour) AS day, type AS kind, if(type = 'not_found', path, link_target) AS target,
  source, device, country,
  sumState(toUInt64(1)) AS events,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type IN ('outbound', 'download', 'not_found')
GROUP BY site, day, kind, target, source, device, country;
