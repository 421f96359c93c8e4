-- Schema 2 (adds only): the lease of the node that leads the background work. One row;
-- `holder` is the node id (its sessions' application_name), `epoch` is bumped at every
-- takeover, `expires_at` is in the database's time (clock_timestamp() when it was taken
-- or renewed, plus store.leader_timeout). Taken and renewed by single UPDATE statements.

CREATE TABLE leader_lease (
    id integer PRIMARY KEY CHECK (id = 1),
    holder text,
    epoch bigint NOT NULL,
    expires_at timestamptz NOT NULL
);
INSERT INTO leader_lease (id, holder, epoch, expires_at) VALUES (1, NULL, 0, '-infinity');
