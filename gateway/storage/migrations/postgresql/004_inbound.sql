-- Messages received from partners in formats other than FHIR (HL7 v2 over MLLP ...), kept as
-- received before they are acknowledged; a re-sent message (same partner and control id) is not
-- kept twice.
CREATE TABLE inbound_message (
  seq BIGSERIAL PRIMARY KEY,
  partner TEXT NOT NULL,
  control_id TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  format TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  UNIQUE (partner, control_id)
);
