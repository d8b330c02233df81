-- What an item's cover image shows, for readers who do not see it (its alt text). Empty for the
-- items written before there was one, until an edit gives them one; a rebuild of the read model
-- from the journal writes what the events say.
ALTER TABLE content_item ADD COLUMN IF NOT EXISTS cover_alt VARCHAR(2000) DEFAULT '' NOT NULL;
