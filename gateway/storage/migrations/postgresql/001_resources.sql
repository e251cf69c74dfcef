-- Versioned resources; see the SQLite migration of the same number for the design.
CREATE TABLE resource_version (
  seq BIGSERIAL PRIMARY KEY,
  rtype TEXT NOT NULL,
  rid TEXT NOT NULL,
  version BIGINT NOT NULL,
  last_updated TEXT NOT NULL,
  last_updated_ms BIGINT NOT NULL,
  method TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX resource_version_key ON resource_version (rtype, rid, version);
CREATE INDEX resource_version_type ON resource_version (rtype, seq);
CREATE INDEX resource_version_time ON resource_version (last_updated_ms);
CREATE TABLE resource_current (
  res BIGSERIAL PRIMARY KEY,
  rtype TEXT NOT NULL,
  rid TEXT NOT NULL,
  version BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  deleted INTEGER NOT NULL,
  last_updated_ms BIGINT NOT NULL,
  UNIQUE (rtype, rid)
);
