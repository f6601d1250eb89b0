-- Traffic rollups. Every figure is a -State aggregate so that any range and any subset of the
-- dimensions can be merged at read time. Visitors are uniqCombined sketches of the daily salted
-- hash, kept only while the day is recent: the finalize-sketches job then turns each day's
-- sketch into a plain count in `visitors_final` and empties the sketch. A day's visitors are
-- always sumMerge(visitors_final) + uniqCombinedMerge(visitors); a range reports the sum of
-- daily unique visitors, since no hash links one day to the next.

-- All event types per hour, for time series. No visitor sketch at this grain: visitors are
-- counted per day (below), the unit in which the salt, and so a visitor, exists.
CREATE TABLE IF NOT EXISTS traffic_hourly (
  site String,
  hour DateTime('UTC'),
  type String,
  source String,
  device String,
  country String,
  events AggregateFunction(sum, UInt64),
  revenue AggregateFunction(sum, Float64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour, type, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_hourly_mv TO traffic_hourly AS
SELECT site, hour, type, source, device, country,
  sumState(toUInt64(1)) AS events,
  sumState(revenue) AS revenue
FROM events_in
GROUP BY site, hour, type, source, device, country;

-- All event types per day: overview cards, visitors and conversion.
CREATE TABLE IF NOT EXISTS traffic_daily (
  site String,
  day Date,
  type String,
  source String,
  device String,
  country String,
  events AggregateFunction(sum, UInt64),
  revenue AggregateFunction(sum, Float64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, type, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_daily_mv TO traffic_daily AS
SELECT site, toDate(hour) AS day, type, source, device, country,
  sumState(toUInt64(1)) AS events,
  sumState(revenue) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
GROUP BY site, day, type, source, device, country;

-- Pageviews per scrubbed path and day.
CREATE TABLE IF NOT EXISTS pages_daily (
  site String,
  day Date,
  path String,
  source String,
  device String,
  country String,
  pageviews AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, path, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS pages_daily_mv TO pages_daily AS
SELECT site, toDate(hour) AS day, path, source, device, country,
  sumState(toUInt64(1)) AS pageviews,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'pageview'
GROUP BY site, day, path, source, device, country;

-- Where visitors come from: referrer host and campaign tags.
CREATE TABLE IF NOT EXISTS sources_daily (
  site String,
  day Date,
  source String,
  referrer_host String,
  utm_source String,
  utm_medium String,
  utm_campaign String,
  device String,
  country String,
  pageviews AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, source, referrer_host, utm_source, utm_medium, utm_campaign, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS sources_daily_mv TO sources_daily AS
SELECT site, toDate(hour) AS day, source, referrer_host, utm_source, utm_medium, utm_campaign, device, country,
  sumState(toUInt64(1)) AS pageviews,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'pageview'
GROUP BY site, day, source, referrer_host, utm_source, utm_medium, utm_campaign, device, country;

-- Device, browser and OS families (never versions).
CREATE TABLE IF NOT EXISTS tech_daily (
  site String,
  day Date,
  device String,
  browser String,
  os String,
  source String,
  country String,
  pageviews AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, device, browser, os, source, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS tech_daily_mv TO tech_daily AS
SELECT site, toDate(hour) AS day, device, browser, os, source, country,
  sumState(toUInt64(1)) AS pageviews,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'pageview'
GROUP BY site, day, device, browser, os, source, country;
