-- Gateways sharing one database (PostgreSQL) say every heartbeat that they are alive. The
-- messages leased by a gateway that has been silent for several heartbeats (killed, its machine
-- gone) are released for the others at once, instead of waiting for the lease to lapse.
CREATE TABLE gateway_instance (
  owner TEXT PRIMARY KEY,
  started_ms INTEGER NOT NULL,
  heartbeat_ms INTEGER NOT NULL
);
