-- Offer performance per offer x variant x segment. Impressions and clicks are offer events;
-- carts, checkouts and purchases count when the tab that clicked the offer goes on to them
-- (the beacon attaches the last clicked offer to those events), so conversion needs no session.
CREATE TABLE IF NOT EXISTS offers_daily (
  site String,
  day Date,
  offer_id String,
  variant String,
  type String,
  device String,
  country String,
  source String,
  category String,
  events AggregateFunction(sum, UInt64),
  revenue AggregateFunction(sum, Float64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, offer_id, variant, type, device, country, source, category);

CREATE MATERIALIZED VIEW IF NOT EXISTS offers_daily_mv TO offers_daily AS
SELECT site, toDate(hour) AS day, offer_id, offer_variant AS variant, type, device, country, source, category,
  sumState(toUInt64(1)) AS events,
  sumState(revenue) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE offer_id != ''
GROUP BY site, day, offer_id, variant, type, device, country, source, category;
