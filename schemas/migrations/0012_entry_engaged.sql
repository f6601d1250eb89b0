-- Engaged time per entry page (docs/engagement.md, "Visit duration per entry page"). Each engagement
-- report carries its visit's entry path (`entry_path`, scrubbed by the collector as any page path);
-- this rollup sums its engaged time on that path. Per path, `engaged_ms` here over `entries` in
-- entry_exit_daily is the mean engaged time of the visits that began there. Sums only, no visit id.
--
-- A table of its own rather than a column of entry_exit_daily: ClickHouse 18.16 makes a view
-- write every column of its target, so a column added there would break 0023's views. No visitor
-- sketch: a report does not view its entry page, and which entry pages are released is decided by
-- entry_exit's visitors (aggregator/release/measurements.ts).
--
-- Numbered below 0020, which adds `engaged_ms` to events_in: added here too, so that a fresh
-- warehouse (this first) and one migrated before this existed (this last) end up the same.
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS engaged_ms UInt32 DEFAULT 0;
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS entry_path String DEFAULT '';

CREATE TABLE IF NOT EXISTS entry_engaged_daily (
  site String,
  day Date,
  path String,
  source String,
  device String,
  country String,
  reports AggregateFunction(sum, UInt64),
  engaged_ms AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, path, source, device, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS entry_engaged_daily_mv TO entry_engaged_daily AS
SELECT site, toDate(hour) AS day, entry_path AS path, source, device, country,
  sumState(toUInt64(1)) AS reports,
  sumState(toUInt64(engaged_ms)) AS engaged_ms
FROM events_in
WHERE type = 'engagement' AND entry_path != ''
GROUP BY site, day, path, source, device, country;
