-- Search index; see the SQLite migration of the same number.
CREATE TABLE search_index (
  res BIGINT NOT NULL,
  rtype TEXT NOT NULL,
  param TEXT NOT NULL,
  s1 TEXT,
  s2 TEXT,
  s3 TEXT,
  s4 TEXT,
  s5 TEXT,
  n1 DOUBLE PRECISION,
  n2 DOUBLE PRECISION,
  i1 BIGINT,
  i2 BIGINT
);
CREATE INDEX search_index_res ON search_index (res, param);
CREATE INDEX search_index_s1 ON search_index (rtype, param, s1 text_pattern_ops);
CREATE INDEX search_index_s2 ON search_index (rtype, param, s2);
CREATE INDEX search_index_i1 ON search_index (rtype, param, i1);
CREATE INDEX search_index_n1 ON search_index (rtype, param, n1);
CREATE INDEX resource_current_updated ON resource_current (rtype, last_updated_ms);
CREATE TABLE store_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
