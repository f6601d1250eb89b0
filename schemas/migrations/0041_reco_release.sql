-- How each insights snapshot was released (docs/privacy.md, "The recommendation service"):
-- `k-threshold` when the job pooled rollup rows under K_ANON (DP_EPSILON=off), or
-- `differential-privacy` when it post-processed released cells only. Readers take the latest
-- snapshot of the service's own mode, so a snapshot written under the other mode (before a restart
-- that changed DP_EPSILON, say) never answers. The standard deviations are the noise of each
-- figure of a differentially private snapshot (0 in a k-threshold one, whose figures are exact).
-- The runner makes each statement idempotent where `IF NOT EXISTS` is unknown (warehouse/add-column.ts).
ALTER TABLE reco_offers ADD COLUMN IF NOT EXISTS release String DEFAULT 'k-threshold';
ALTER TABLE reco_offers ADD COLUMN IF NOT EXISTS impressions_sd Float64 DEFAULT 0;
ALTER TABLE reco_offers ADD COLUMN IF NOT EXISTS conversions_sd Float64 DEFAULT 0;
ALTER TABLE reco_segments ADD COLUMN IF NOT EXISTS release String DEFAULT 'k-threshold';
ALTER TABLE reco_segments ADD COLUMN IF NOT EXISTS visitors_sd Float64 DEFAULT 0;
ALTER TABLE reco_affinity ADD COLUMN IF NOT EXISTS release String DEFAULT 'k-threshold';
ALTER TABLE reco_affinity ADD COLUMN IF NOT EXISTS transitions_sd Float64 DEFAULT 0;
ALTER TABLE reco_affinity ADD COLUMN IF NOT EXISTS visitors_sd Float64 DEFAULT 0;
ALTER TABLE reco_held_back ADD COLUMN IF NOT EXISTS release String DEFAULT 'k-threshold';
