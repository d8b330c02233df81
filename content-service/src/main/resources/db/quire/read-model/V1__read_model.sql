-- The read model as it stood before migrations were versioned. IF NOT EXISTS: a site created by
-- an earlier Quire already has these tables, and Flyway records a baseline (version 0) under
-- them before this runs. ${text} is the dialect's large-text type (H2: CLOB, PostgreSQL: TEXT).

CREATE TABLE IF NOT EXISTS content_item (
  id VARCHAR(64) PRIMARY KEY,
  kind VARCHAR(8) NOT NULL,
  status VARCHAR(16) NOT NULL,
  revision BIGINT NOT NULL,
  slug VARCHAR(200) NOT NULL,
  title VARCHAR(400) NOT NULL,
  description VARCHAR(2000) NOT NULL,
  tags VARCHAR(4000) NOT NULL,
  cover_image VARCHAR(1000) NOT NULL,
  author VARCHAR(400) NOT NULL,
  content_date BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  published_at BIGINT,
  scheduled_at BIGINT,
  archive_month INT,
  body ${text} NOT NULL,
  html ${text} NOT NULL,
  word_count INT NOT NULL,
  seq BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS content_item_seq ON content_item (seq);
CREATE INDEX IF NOT EXISTS content_item_status ON content_item (status, kind);
CREATE INDEX IF NOT EXISTS content_item_slug ON content_item (slug);

CREATE TABLE IF NOT EXISTS content_tag (
  content_id VARCHAR(64) NOT NULL,
  tag_key VARCHAR(100) NOT NULL,
  PRIMARY KEY (content_id, tag_key)
);
CREATE INDEX IF NOT EXISTS content_tag_key ON content_tag (tag_key);

CREATE TABLE IF NOT EXISTS slug_alias (
  slug VARCHAR(200) PRIMARY KEY,
  content_id VARCHAR(64) NOT NULL
);
CREATE INDEX IF NOT EXISTS slug_alias_content ON slug_alias (content_id);

CREATE TABLE IF NOT EXISTS content_revision (
  content_id VARCHAR(64) NOT NULL,
  revision BIGINT NOT NULL,
  event VARCHAR(40) NOT NULL,
  at BIGINT NOT NULL,
  actor VARCHAR(400) NOT NULL,
  status VARCHAR(16) NOT NULL,
  title VARCHAR(400) NOT NULL,
  slug VARCHAR(200) NOT NULL,
  body ${text} NOT NULL,
  PRIMARY KEY (content_id, revision)
);
