-- Index rows leave most value columns empty (a token row has no number, a date row no code):
-- the indexes on s2, i1 and n1 hold only the rows that have a value there, so that a write adds
-- (and a commit writes) fewer index entries. Every search condition on those columns (=, <, >,
-- IN) implies the value is there, so the planner still uses them.
DROP INDEX search_index_s2;
DROP INDEX search_index_i1;
DROP INDEX search_index_n1;
CREATE INDEX search_index_s2 ON search_index (rtype, param, s2) WHERE s2 IS NOT NULL;
CREATE INDEX search_index_i1 ON search_index (rtype, param, i1) WHERE i1 IS NOT NULL;
CREATE INDEX search_index_n1 ON search_index (rtype, param, n1) WHERE n1 IS NOT NULL;
