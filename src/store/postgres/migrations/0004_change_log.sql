-- Schema 4 (adds only): the change log, which carries each writing transaction's changes
-- to the other nodes sharing the database. One row per transaction that moved the change
-- sequence, written in that transaction: `seq` is its last change number and `first` its
-- first (the rows follow each other without a gap: first = the previous row's seq + 1),
-- `node` the node that wrote it (its sessions' application_name), `body` its changes and
-- what they change in a node's read model (JSON, the records as in store::sled::layout).
-- Each such transaction also notifies `mcp_onboard_changes` with its seq. Rows older than
-- store.change_log_keep are deleted (the newest is always kept).

CREATE TABLE change_log (
    seq bigint PRIMARY KEY,
    first bigint NOT NULL,
    node text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    body bytea NOT NULL
);
CREATE INDEX change_log_at ON change_log (at);
