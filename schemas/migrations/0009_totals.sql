-- Totals for the reads that filter on nothing.
--
-- Traffic per day and event type, with no other dimension: what the overview reads when no filter
-- is given. `traffic_daily` keeps a visitor sketch per source, device and country, so a range
-- without filters merged thousands of sketches per day; here each day and type is one sketch.
-- That matters for the days that still hold sketches (today and yesterday; every day until the
-- finalize-sketches job has run): finalized days are plain counts in either table.
-- Same figures and same life as `traffic_daily`: the views feed both from the same insert, the
-- finalize-sketches job turns old sketches into counts and retention drops old months.
--
-- Created from `traffic_daily`, so the days it already holds are here at once: events, revenue
-- and sketches merge exactly (a merged uniqCombined state is the state of the union), and a
-- finalized day gets the sum of its finalized counts. That sum is only an upper bound of the
-- day's visitors, and the reads never show or threshold it: they take a finalized day's visitor
-- counts from `traffic_daily`, as the filtered reads do, and use this table's `visitors_final`
-- only to know which days have been finalized (dashboard/queries/getTrafficByType.ts).
--
-- `CREATE TABLE ... AS SELECT` fills the table only when it creates it, so running this again
-- adds nothing. The view comes second: a server that takes events while the migration runs
-- (another instance) may miss the totals of the inserts between the two statements.
CREATE TABLE IF NOT EXISTS traffic_totals_daily
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, type)
AS SELECT site, day, type,
  sumMergeState(events) AS events,
  sumMergeState(revenue) AS revenue,
  uniqCombinedMergeState(visitors) AS visitors,
  sumMergeState(visitors_final) AS visitors_final
FROM traffic_daily
GROUP BY site, day, type;

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_totals_daily_mv TO traffic_totals_daily AS
SELECT site, toDate(hour) AS day, type,
  sumState(toUInt64(1)) AS events,
  sumState(revenue) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
GROUP BY site, day, type;

-- The purchase funnel per day and step, with no other dimension, for the funnel view without
-- filters, in place of every category, source, device and country of `funnel_daily`. Same rules
-- as above (dashboard/queries/getFunnelSteps.ts).
CREATE TABLE IF NOT EXISTS funnel_totals_daily
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, step)
AS SELECT site, day, step,
  sumMergeState(events) AS events,
  sumMergeState(revenue) AS revenue,
  uniqCombinedMergeState(visitors) AS visitors,
  sumMergeState(visitors_final) AS visitors_final
FROM funnel_daily
GROUP BY site, day, step;

CREATE MATERIALIZED VIEW IF NOT EXISTS funnel_totals_daily_mv TO funnel_totals_daily AS
SELECT site, toDate(hour) AS day, type AS step,
  sumState(toUInt64(1)) AS events,
  sumState(revenue) AS revenue,
  uniqCombinedState(visitor) AS visitors,
  sumState(toUInt64(0)) AS visitors_final
FROM events_in
WHERE type IN ('product_view', 'add_to_cart', 'checkout', 'purchase')
GROUP BY site, day, step;
