-- Custom events by name, and their properties by key and (scrubbed) value.
CREATE TABLE IF NOT EXISTS custom_daily (
  site String,
  day Date,
  name String,
  source String,
  device String,
  country String,
  events AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, name, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS custom_daily_mv TO custom_daily AS
SELECT site, toDate(hour) AS day, name, source, device, country,
  sumState(toUInt64(1)) AS events,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'custom'
GROUP BY site, day, name, source, device, country;

CREATE TABLE IF NOT EXISTS custom_props_daily (
  site String,
  day Date,
  name String,
  prop_key String,
  prop_value String,
  events AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, name, prop_key, prop_value);

CREATE MATERIALIZED VIEW IF NOT EXISTS custom_props_daily_mv TO custom_props_daily AS
SELECT site, toDate(hour) AS day, name, prop_key, prop_value,
  sumState(toUInt64(1)) AS events,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
ARRAY JOIN prop_keys AS prop_key, prop_values AS prop_value
WHERE type = 'custom'
GROUP BY site, day, name, prop_key, prop_value;
