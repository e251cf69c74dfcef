-- Versioned resources. Every version is kept (history, vread); resource_current points at the
-- latest one and gives each logical resource a stable integer key for index rows.
CREATE TABLE resource_version (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  rtype TEXT NOT NULL,
  rid TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  last_updated_ms INTEGER NOT NULL,
  method TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX resource_version_key ON resource_version (rtype, rid, version);
CREATE INDEX resource_version_type ON resource_version (rtype, seq);
CREATE INDEX resource_version_time ON resource_version (last_updated_ms);
CREATE TABLE resource_current (
  res INTEGER PRIMARY KEY AUTOINCREMENT,
  rtype TEXT NOT NULL,
  rid TEXT NOT NULL,
  version INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  last_updated_ms INTEGER NOT NULL,
  UNIQUE (rtype, rid)
);
