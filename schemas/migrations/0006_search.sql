-- Site search terms (already scrubbed and lower-cased by the collector), with zero-result counts.
CREATE TABLE IF NOT EXISTS search_daily (
  site String,
  day Date,
  query String,
  source String,
  device String,
  country String,
  searches AggregateFunction(sum, UInt64),
  zero_results AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, query, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS search_daily_mv TO search_daily AS
SELECT site, toDate(hour) AS day, search_query AS query, source, device, country,
  sumState(toUInt64(1)) AS searches,
  sumState(toUInt64(search_results = 0)) AS zero_results,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'search' AND search_query != ''
GROUP BY site, day, query, source, device, country;
