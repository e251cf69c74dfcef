-- Patient identity (docs/identity.md). identity_link: how each identifier came to belong to its
-- Patient (the strong key, a rule, a score), the cross-reference behind Patient.identifier.
-- identity_review: pairs that may be the same person, for a person to decide; never merged
-- automatically. identity_merge: merges with the resources repointed, so that an unmerge can
-- put them back.
CREATE TABLE identity_link (
  seq BIGSERIAL PRIMARY KEY,
  patient TEXT NOT NULL,
  system TEXT NOT NULL,
  value TEXT NOT NULL,
  grade TEXT NOT NULL,
  score REAL NOT NULL,
  reason TEXT NOT NULL,
  linked_ms BIGINT NOT NULL
);
CREATE INDEX identity_link_patient ON identity_link (patient);
CREATE TABLE identity_review (
  seq BIGSERIAL PRIMARY KEY,
  patient TEXT NOT NULL,
  candidate TEXT NOT NULL,
  score REAL NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  created_ms BIGINT NOT NULL,
  resolved_ms BIGINT,
  resolved_by TEXT,
  UNIQUE (patient, candidate)
);
CREATE TABLE identity_merge (
  seq BIGSERIAL PRIMARY KEY,
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  moved TEXT NOT NULL,
  merged_by TEXT NOT NULL,
  merged_ms BIGINT NOT NULL,
  unmerged_ms BIGINT
);
CREATE INDEX identity_merge_source ON identity_merge (source);
