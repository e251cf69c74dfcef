-- Messages accepted for delivery to a partner. A row is written in the same transaction as what it
-- delivers, before the sender is acknowledged, and is never deleted: delivered, dead and
-- discarded rows stay for the operator and the auditor. Rows of one destination and ordering key
-- (the patient) are delivered in id order; a worker claims a row with a lease so that several
-- gateways sharing the database do not deliver it twice at the same time.
CREATE TABLE outbox (
  id BIGSERIAL PRIMARY KEY,
  destination TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  event TEXT NOT NULL,
  source TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  delivered_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);
CREATE INDEX outbox_order ON outbox (destination, ordering_key, state, id);

-- FHIR messages processed (-message), by sender and message id: a message sent again is
-- answered with the response it had the first time and is not processed or delivered again.
CREATE TABLE processed_message (
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  response TEXT NOT NULL,
  PRIMARY KEY (sender, message_id)
);
