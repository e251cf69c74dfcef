-- One-time keys (client assertion jti values) kept until they expire, for replay detection.
CREATE TABLE once_keys (
  key TEXT PRIMARY KEY,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX once_keys_expiry ON once_keys (expires_ms);
-- Break-glass grants: a partner's emergency access to one patient until a time.
CREATE TABLE break_glass (
  partner TEXT NOT NULL,
  patient TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (partner, patient)
);
