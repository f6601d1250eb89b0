-- Visits, bounces and engaged time per day and per hour. A visit is counted by its first pageview
-- (`entry`), a bounce by the +1/-1 column, and visit duration is the engaged time of the visits'
-- pages (engagement reports) over the visits: sums only, no row per visit.
CREATE TABLE IF NOT EXISTS visits_daily (
  site String,
  day Date,
  source String,
  device String,
  country String,
  visits AggregateFunction(sum, UInt64),
  bounces AggregateFunction(sum, Int64),
  pageviews AggregateFunction(sum, UInt64),
  engaged_ms AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS visits_daily_mv TO visits_daily AS
SELECT site, toDate(hour) AS day, source, device, country,
  sumState(toUInt64(entry)) AS visits,
  sumState(toInt64(bounce)) AS bounces,
  sumState(toUInt64(type = 'pageview')) AS pageviews,
  sumState(toUInt64(engaged_ms)) AS engaged_ms,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type IN ('pageview', 'engagement')
GROUP BY site, day, source, device, country;

-- Visits per hour, for the hourly time series. No visitor sketch at this grain (as traffic_hourly).
CREATE TABLE IF NOT EXISTS visits_hourly (
  site String,
  hour DateTime('UTC'),
  source String,
  device String,
  country String,
  visits AggregateFunction(sum, UInt64),
  bounces AggregateFunction(sum, Int64),
  engaged_ms AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS visits_hourly_mv TO visits_hourly AS
SELECT site, hour, source, device, country,
  sumState(toUInt64(entry)) AS visits,
  sumState(toInt64(bounce)) AS bounces,
  sumState(toUInt64(engaged_ms)) AS engaged_ms
FROM events_in
WHERE type IN ('pageview', 'engagement')
GROUP BY site, hour, source, device, country;
