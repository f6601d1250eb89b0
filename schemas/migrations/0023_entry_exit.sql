-- Entry and exit pages without a row per visit. Each pageview gives two signed contributions (a
-- view for each, below):
-- to its own path, +1 view, +1 exit, its `entry` and its bounce if +1; to the page it came from in
-- the same visit (`prev_path`, on pages past the first), -1 exit and its bounce if -1. So per path
-- `sum(exits)` = views that no later page of their visit followed, `sum(entries)` = visits that
-- started there and `sum(bounces)` = those of them that saw one page.
-- Engaged time is not per entry page: reports do not say where their visit began.
CREATE TABLE IF NOT EXISTS entry_exit_daily (
  site String,
  day Date,
  path String,
  source String,
  device String,
  country String,
  pageviews AggregateFunction(sum, UInt64),
  entries AggregateFunction(sum, UInt64),
  bounces AggregateFunction(sum, Int64),
  exits AggregateFunction(sum, Int64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, path, source, device, country);

-- Each pageview, on its own page.
CREATE MATERIALIZED VIEW IF NOT EXISTS entry_exit_daily_mv TO entry_exit_daily AS
SELECT site, toDate(hour) AS day, path, source, device, country,
  sumState(toUInt64(1)) AS pageviews,
  sumState(toUInt64(entry)) AS entries,
  sumState(toInt64(if(bounce > 0, 1, 0))) AS bounces,
  sumState(toInt64(1)) AS exits,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'pageview'
GROUP BY site, day, path, source, device, country;

-- Each pageview past a visit's first, on the page it left: that page was not the visit's exit, and
-- a second pageview takes back its visit's bounce.
CREATE MATERIALIZED VIEW IF NOT EXISTS entry_exit_left_daily_mv TO entry_exit_daily AS
SELECT site, toDate(hour) AS day, prev_path AS path, source, device, country,
  sumState(toUInt64(0)) AS pageviews,
  sumState(toUInt64(0)) AS entries,
  sumState(toInt64(if(bounce < 0, -1, 0))) AS bounces,
  sumState(toInt64(-1)) AS exits,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'pageview' AND entry = 0 AND prev_path != ''
GROUP BY site, day, path, source, device, country;
