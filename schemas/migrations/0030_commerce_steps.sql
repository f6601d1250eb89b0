-- The checkout's later steps and refunds (docs/ga4.md): `shipping_info` and `payment_info` are
-- funnel steps between `checkout` and `purchase`; a `refund` is a step after it. New views into
-- the existing rollups, so the finalize-sketches and retention jobs, the cluster DDL and the reads
-- treat them as they treat the other steps; no table is added.
--
-- A refund's row carries its order value negated (collector/pipeline.ts), so every rollup that
-- sums revenue (funnel, traffic, totals) nets refunds out of it; its items' revenue is negated
-- here for the products' rollup, where it adds to no count of views, carts or purchases.

CREATE MATERIALIZED VIEW IF NOT EXISTS funnel_steps_daily_mv TO funnel_daily AS
SELECT site, toDate(hour) AS day, type AS step, category, source, device, country,
  sumState(toUInt64(1)) AS events,
  sumState(revenue) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type IN ('shipping_info', 'payment_info', 'refund')
GROUP BY site, day, step, category, source, device, country;

CREATE MATERIALIZED VIEW IF NOT EXISTS funnel_steps_totals_daily_mv TO funnel_totals_daily AS
SELECT site, toDate(hour) AS day, type AS step,
  sumState(toUInt64(1)) AS events,
  sumState(revenue) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type IN ('shipping_info', 'payment_info', 'refund')
GROUP BY site, day, step;

CREATE MATERIALIZED VIEW IF NOT EXISTS products_refunds_daily_mv TO products_daily AS
SELECT site, toDate(hour) AS day, item_id AS product_id, item_category AS category, source, device, country,
  sumState(toUInt64(0)) AS views,
  sumState(toUInt64(0)) AS carts,
  sumState(toUInt64(0)) AS removals,
  sumState(toUInt64(0)) AS checkouts,
  sumState(toUInt64(0)) AS purchases,
  sumState(toUInt64(0)) AS quantity,
  sumState(toFloat64(0 - item_price * item_quantity)) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
ARRAY JOIN item_ids AS item_id, item_categories AS item_category, item_prices AS item_price, item_quantities AS item_quantity
WHERE type = 'refund'
GROUP BY site, day, product_id, category, source, device, country;
