-- A claim reads only messages that are due: an index of the pending rows by when each is due,
-- so that the messages of a destination that has been down for a day (due again only after their
-- back-off) are never walked by the claims of the others. A message is never due before the one
-- ahead of it for the same destination and patient (the outbox keeps them in step), so the
-- messages waiting behind a failing one are not walked either.
DROP INDEX outbox_pending;
CREATE INDEX outbox_due ON outbox (next_attempt_ms, id) WHERE state = 'pending';
