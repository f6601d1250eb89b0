-- How many groups each insights snapshot held back below K_ANON (or without an impression to rate)
-- and so never wrote to the reco_* tables: counts only, never the groups. Written with each
-- snapshot, read by /api/v1 into `suppressed`.
--
-- `list` is the list the count belongs to and `scope` the part of it a route answers:
--   segments  scope ''       fine cells still under K_ANON with every dimension coarsened away;
--   offers    scope segment  offer variants of a written segment (a public id) not written;
--   affinity  scope product  next products of a product that has a written pair, not written;
--   affinity  scope '*'      the pairs of every product none of whose pairs was written, pooled,
--                            so that no unwritten product is named.
CREATE TABLE IF NOT EXISTS reco_held_back (
  site String,
  list String,
  scope String,
  held UInt64,
  computed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree()
ORDER BY (site, computed_at, list, scope);
