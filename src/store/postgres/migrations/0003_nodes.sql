-- Schema 3 (adds only): the nodes sharing the database, as `status` lists them. Each
-- node's lease keeper writes its row when it starts and at every round (`seen_at`, in the
-- database's time) and marks it stopped when its store stops; the leader ends the
-- sessions of nodes unseen past the lease's timeout and deletes rows a day old.

CREATE TABLE nodes (
    id text PRIMARY KEY,
    release text NOT NULL,
    started_at timestamptz NOT NULL,
    seen_at timestamptz NOT NULL,
    stopped_at timestamptz,
    listener text
);
