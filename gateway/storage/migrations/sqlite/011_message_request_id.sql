-- The X-Request-Id a message came with (BaRS): a request id used again by the same sender for
-- another message is refused (409 REC_CONFLICT); the same message sent again is answered as the
-- first time. Only client-supplied ids are kept, so the index holds no row for the others.
ALTER TABLE processed_message ADD COLUMN request_id TEXT;
CREATE UNIQUE INDEX processed_message_request ON processed_message (sender, request_id) WHERE request_id IS NOT NULL;
