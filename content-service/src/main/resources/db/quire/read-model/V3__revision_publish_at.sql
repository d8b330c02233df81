-- A revision that scheduled the item keeps when it was to go public (epoch milliseconds): the
-- revision list shows "scheduled for ...". Null for every other revision, and for schedules made
-- before this column existed (the list then says "scheduled" without the time).
ALTER TABLE content_revision ADD COLUMN IF NOT EXISTS publish_at BIGINT;
