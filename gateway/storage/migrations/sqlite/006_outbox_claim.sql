-- Claiming walks the pending messages in id order and stops after a batch: an index of the
-- pending rows alone, by id, so that a claim costs the batch it takes and not the whole backlog
-- (the earlier index on (state, next_attempt_ms) made every claim sort every due message).
DROP INDEX outbox_due;
CREATE INDEX outbox_pending ON outbox (id) WHERE state = 'pending';
