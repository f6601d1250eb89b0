-- Snapshots written by the insights job for the recommendation service (and the read API).
-- Each run inserts a full set of rows with one `computed_at` and then deletes older snapshots;
-- a reader takes, per site, the rows of the latest `computed_at`, in one statement. Every row
-- already obeys K_ANON (visitors >= k): a service reading these tables directly sees only
-- releasable figures. ReplacingMergeTree keyed by snapshot and row, so two instances writing
-- the same snapshot in the same second converge on one copy of each row.

-- For each product, the next products viewed after it, ranked by lift (top 20).
CREATE TABLE IF NOT EXISTS reco_affinity (
  site String,
  product_id String,
  next_product_id String,
  next_category String,
  rank UInt16,
  transitions UInt64,
  visitors UInt64,
  lift Float64,
  computed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree()
ORDER BY (site, computed_at, product_id, next_product_id);

-- Offer performance per segment x offer x variant; segment ids look like
-- `device=mobile|country=DE|source=*|category=brakes`.
CREATE TABLE IF NOT EXISTS reco_offers (
  site String,
  segment String,
  device String,
  country String,
  source String,
  category String,
  offer_id String,
  variant String,
  is_control UInt8,
  impressions UInt64,
  clicks UInt64,
  conversions UInt64,
  revenue Float64,
  visitors UInt64,
  conversion_rate Float64,
  ci_low Float64,
  ci_high Float64,
  uplift Float64,
  prob_best Float64,
  is_best UInt8,
  computed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree()
ORDER BY (site, computed_at, segment, offer_id, variant);

-- The segments themselves: each fine cell of device x country x source x category that has k
-- visitors, and the pooled rest of the smaller cells with `*` in the coarsened dimensions.
CREATE TABLE IF NOT EXISTS reco_segments (
  site String,
  segment String,
  device String,
  country String,
  source String,
  category String,
  visitors UInt64,
  computed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree()
ORDER BY (site, computed_at, segment);
