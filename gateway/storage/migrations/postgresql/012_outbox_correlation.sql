-- The conversation a message belongs to (BaRS X-Correlation-Id): the sender's, else the request
-- id of the exchange that accepted the message. Sent with every delivery of it, so that a
-- receiver's logs, the sender's and this gateway's audit log can be joined.
ALTER TABLE outbox ADD COLUMN correlation_id TEXT;
