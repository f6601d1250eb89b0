-- Engagement per page: pageviews, engaged time (visible and focused) and scroll depth. Each page
-- view's deepest scroll arrives as reports that each say how deep it got (`scroll`) past the depth
-- reported before (`scroll_from`), so `scroll - scroll_from` adds up to the view's deepest scroll,
-- and a quartile is reached by exactly one report of the view: a coarse histogram from sums.
CREATE TABLE IF NOT EXISTS engagement_daily (
  site String,
  day Date,
  path String,
  source String,
  device String,
  country String,
  pageviews AggregateFunction(sum, UInt64),
  reports AggregateFunction(sum, UInt64),
  engaged_ms AggregateFunction(sum, UInt64),
  scroll_sum AggregateFunction(sum, UInt64),
  reached_25 AggregateFunction(sum, UInt64),
  reached_50 AggregateFunction(sum, UInt64),
  reached_75 AggregateFunction(sum, UInt64),
  reached_100 AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, path, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS engagement_daily_mv TO engagement_daily AS
SELECT site, toDate(hour) AS day, path, source, device, country,
  sumState(toUInt64(type = 'pageview')) AS pageviews,
  sumState(toUInt64(type = 'engagement')) AS reports,
  sumState(toUInt64(engaged_ms)) AS engaged_ms,
  sumState(toUInt64(scroll - scroll_from)) AS scroll_sum,
  sumState(toUInt64(type = 'engagement' AND scroll >= 25 AND scroll_from < 25)) AS reached_25,
  sumState(toUInt64(type = 'engagement' AND scroll >= 50 AND scroll_from < 50)) AS reached_50,
  sumState(toUInt64(type = 'engagement' AND scroll >= 75 AND scroll_from < 75)) AS reached_75,
  sumState(toUInt64(type = 'engagement' AND scroll >= 100 AND scroll_from < 100)) AS reached_100,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type IN ('pageview', 'engagement')
GROUP BY site, day, path, source, device, country;
