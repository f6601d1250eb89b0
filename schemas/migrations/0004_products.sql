-- Product rollups: views, carts and orders per product, the purchase funnel, and product
-- transitions ("viewed A, then B"), each built from single events that carry their own context.

CREATE TABLE IF NOT EXISTS products_daily (
  site String,
  day Date,
  product_id String,
  category String,
  source String,
  device String,
  country String,
  views AggregateFunction(sum, UInt64),
  carts AggregateFunction(sum, UInt64),
  removals AggregateFunction(sum, UInt64),
  checkouts AggregateFunction(sum, UInt64),
  purchases AggregateFunction(sum, UInt64),
  quantity AggregateFunction(sum, UInt64),
  revenue AggregateFunction(sum, Float64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, product_id, category, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS products_daily_mv TO products_daily AS
SELECT site, toDate(hour) AS day, product_id, category, source, device, country,
  sumState(toUInt64(type = 'product_view')) AS views,
  sumState(toUInt64(type = 'add_to_cart')) AS carts,
  sumState(toUInt64(type = 'remove_from_cart')) AS removals,
  sumState(toUInt64(0)) AS checkouts,
  sumState(toUInt64(0)) AS purchases,
  sumState(toUInt64(0)) AS quantity,
  sumState(toFloat64(0)) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type IN ('product_view', 'add_to_cart', 'remove_from_cart') AND product_id != ''
GROUP BY site, day, product_id, category, source, device, country;

-- Orders name their items; each item counts for its product.
CREATE MATERIALIZED VIEW IF NOT EXISTS products_items_daily_mv TO products_daily AS
SELECT site, toDate(hour) AS day, item_id AS product_id, item_category AS category, source, device, country,
  sumState(toUInt64(0)) AS views,
  sumState(toUInt64(0)) AS carts,
  sumState(toUInt64(0)) AS removals,
  sumState(toUInt64(type = 'checkout')) AS checkouts,
  sumState(toUInt64(type = 'purchase')) AS purchases,
  sumState(toUInt64(if(type = 'purchase', item_quantity, 0))) AS quantity,
  sumState(toFloat64(if(type = 'purchase', item_price * item_quantity, 0))) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
ARRAY JOIN item_ids AS item_id, item_categories AS item_category, item_prices AS item_price, item_quantities AS item_quantity
WHERE type IN ('checkout', 'purchase')
GROUP BY site, day, product_id, category, source, device, country;

-- The purchase funnel: product_view -> add_to_cart -> checkout -> purchase, per category of interest.
CREATE TABLE IF NOT EXISTS funnel_daily (
  site String,
  day Date,
  step String,
  category String,
  source String,
  device String,
  country String,
  events AggregateFunction(sum, UInt64),
  revenue AggregateFunction(sum, Float64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, step, category, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS funnel_daily_mv TO funnel_daily AS
SELECT site, toDate(hour) AS day, type AS step, category, source, device, country,
  sumState(toUInt64(1)) AS events,
  sumState(revenue) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type IN ('product_view', 'add_to_cart', 'checkout', 'purchase')
GROUP BY site, day, step, category, source, device, country;

-- "Viewed A, then B": a product_view whose `prev` names another product.
CREATE TABLE IF NOT EXISTS transitions_daily (
  site String,
  day Date,
  from_product String,
  from_category String,
  to_product String,
  to_category String,
  source String,
  device String,
  country String,
  transitions AggregateFunction(sum, UInt64),
  visitors AggregateFunction(uniqCombined, UInt64),
  visitors_final AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, from_product, to_product, from_category, to_category, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS transitions_daily_mv TO transitions_daily AS
SELECT site, toDate(hour) AS day,
  prev_product_id AS from_product, prev_category AS from_category,
  product_id AS to_product, category AS to_category,
  source, device, country,
  sumState(toUInt64(1)) AS transitions,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type = 'product_view' AND prev_product_id != '' AND prev_product_id != product_id
GROUP BY site, day, from_product, from_category, to_product, to_category, source, device, country;
