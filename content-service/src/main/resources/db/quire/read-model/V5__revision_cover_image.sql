-- Each revision's cover image beside its text, so that a media file an older revision used (in its
-- body or as its cover) can be found before it is deleted. Empty for the revisions projected before
-- this version, until `quire read-model rebuild` writes what the events say.
ALTER TABLE content_revision ADD COLUMN IF NOT EXISTS cover_image VARCHAR(1000) DEFAULT '' NOT NULL;
