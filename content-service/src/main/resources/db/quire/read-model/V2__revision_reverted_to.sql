-- A revert is an edit that wrote back an earlier revision's fields: the revision list names it
-- "reverted" and says which revision it wrote back. Null for every other revision, and for
-- reverts made before this column existed (they stay "edited": the journal did not say).
ALTER TABLE content_revision ADD COLUMN IF NOT EXISTS reverted_to BIGINT;
