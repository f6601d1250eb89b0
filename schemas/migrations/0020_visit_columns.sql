-- What the collector adds to each event for visits and engagement (collector/visits.ts): no id of
-- a visit, only per-event numbers that add up over any set of rows. `entry` is 1 on a visit's first
-- pageview; `bounce` is +1 on its first and -1 on its second pageview (a plain sum counts the
-- visits that saw one page); an engagement report's time and scroll depth; the new-or-returning
-- answer of a visit's first page; an outbound click's host or a download's scrubbed path.
-- `events_in` stores nothing (ENGINE = Null): these columns exist only for the views below.
-- The runner makes each statement idempotent where `IF NOT EXISTS` is unknown (warehouse/add-column.ts).
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS entry UInt8 DEFAULT 0;
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS bounce Int8 DEFAULT 0;
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS engaged_ms UInt32 DEFAULT 0;
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS scroll UInt8 DEFAULT 0;
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS scroll_from UInt8 DEFAULT 0;
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS visitor_kind String DEFAULT '';
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS link_target String DEFAULT '';
