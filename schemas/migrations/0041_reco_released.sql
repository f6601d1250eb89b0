-- The insights snapshots made from released cells only, with differential privacy on
-- (docs/privacy.md, "The recommendation service"): the same rows as reco_offers, reco_segments and
-- reco_affinity (0008), each noisy figure with the standard deviation of its noise. Tables of their
-- own rather than columns added to those: a reader takes the table of the service's release mode,
-- so a snapshot written under the other mode (before a restart that changed DP_EPSILON, say) is
-- never answered; and no ALTER of a replicated table is needed (ClickHouse 18.16 refuses it
-- `ON CLUSTER` unless the cluster is configured for replication in a way it refuses for the
-- events tables). Nothing is held back by count here: what missed its threshold was never
-- published. Written and deleted as the k-threshold snapshots are (aggregator/jobs/insights.ts).

CREATE TABLE IF NOT EXISTS reco_offers_released (
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
  impressions_sd Float64,
  conversions UInt64,
  conversions_sd Float64,
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

CREATE TABLE IF NOT EXISTS reco_segments_released (
  site String,
  segment String,
  device String,
  country String,
  source String,
  category String,
  visitors UInt64,
  visitors_sd Float64,
  computed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree()
ORDER BY (site, computed_at, segment);

CREATE TABLE IF NOT EXISTS reco_affinity_released (
  site String,
  product_id String,
  next_product_id String,
  next_category String,
  rank UInt16,
  transitions UInt64,
  transitions_sd Float64,
  visitors UInt64,
  visitors_sd Float64,
  lift Float64,
  computed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree()
ORDER BY (site, computed_at, product_id, next_product_id);
