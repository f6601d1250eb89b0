-- Daily salts for the visitor hash. A salt serves its UTC day; the rotate-salts job drops every
-- partition older than yesterday, after which no visitor hash of that day can be recomputed or
-- linked to another day. One partition per day so that deletion is a partition drop, immediate
-- and complete, not a mutation that lingers.
CREATE TABLE IF NOT EXISTS salts (
  day Date,
  salt String,
  created_at DateTime('UTC')
) ENGINE = MergeTree()
PARTITION BY toYYYYMMDD(day)
ORDER BY (day, created_at);
