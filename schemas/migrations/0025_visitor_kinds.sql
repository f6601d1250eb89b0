-- New and returning visitors: visits by what their first page said (`visitor_kind`).
-- The answer comes from the browser (the day it first came, kept there and never sent); here it
-- is one of two words per visit.
CREATE TABLE IF NOT EXISTS visitor_kinds_daily (
  site String,
  day Date,
  kind String,
  source String,
  device String,
  country String,
  visits AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, kind, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS visitor_kinds_daily_mv TO visitor_kinds_daily AS
SELECT site, toDate(hour) AS day, visitor_kind AS kind, source, device, country,
  sumState(toUInt64(entry)) AS visits,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'pageview' AND entry = 1 AND visitor_kind != ''
GROUP BY site, day, kind, source, device, country;
