-- Patient identity (docs/identity.md). identity_link: how each identifier came to belong to its
-- Patient (the strong key, a rule, a score), the cross-reference behind Patient.identifier.
-- identity_review: pairs that may be the same person, for a person to decide; never merged
-- automatically. identity_merge: merges with the resources repointed, so that an unmerge can
-- put them back.
CREATE TABLE identity_link (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  patient TEXT NOT NULL,
  system TEXT NOT NULL,
  value TEXT NOT NULL,
  grade TEXT NOT NULL,
  score REAL NOT NULL,
  reason TEXT NOT NULL,
  linked_ms INTEGER NOT NULL
);
CREATE INDEX identity_link_patient ON identity_link (patient);
CREATE TABLE identity_review (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  patient TEXT NOT NULL,
  candidate TEXT NOT NULL,
  score REAL NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  created_ms INTEGER NOT NULL,
  resolved_ms INTEGER,
  resolved_by TEXT,
  UNIQUE (patient, candidate)
);
CREATE TABLE identity_merge (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  moved TEXT NOT NULL,
  merged_by TEXT NOT NULL,
  merged_ms INTEGER NOT NULL,
  unmerged_ms INTEGER
);
CREATE INDEX identity_merge_source ON identity_merge (source);
