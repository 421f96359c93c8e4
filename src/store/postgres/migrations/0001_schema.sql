-- Schema 1: the data of every backend (see store::sled::layout for the records: each
-- `record`, `entry`, `event` and `rows` is the same JSON), secrets sealed by the
-- application (XChaCha20-Poly1305) before they get here, and the change sequence.

CREATE TABLE meta (
    key text PRIMARY KEY,
    value bytea NOT NULL
);

-- The one sequence every published change is numbered in, in commit order: each writing
-- transaction holds this row from its start to its commit.
CREATE TABLE change_seq (
    id integer PRIMARY KEY CHECK (id = 1),
    last bigint NOT NULL
);
INSERT INTO change_seq (id, last) VALUES (1, 0);

CREATE TABLE tenants (
    slug text PRIMARY KEY,
    record bytea NOT NULL,
    -- When its earliest provisioning job with work left is due (NULL: none).
    due_at bigint
);
CREATE INDEX tenants_due ON tenants (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE timeline (
    seq bigint PRIMARY KEY,
    slug text NOT NULL,
    entry bytea NOT NULL
);
CREATE INDEX timeline_by_tenant ON timeline (slug, seq);

-- Consent links by the SHA-256 of their code; the counts are kept apart, so that opens
-- counted in memory are added as increments.
CREATE TABLE links (
    hash bytea PRIMARY KEY,
    tenant text NOT NULL,
    created_at bigint NOT NULL,
    record bytea NOT NULL,
    open_count bigint NOT NULL DEFAULT 0,
    continue_count bigint NOT NULL DEFAULT 0
);
CREATE INDEX links_by_tenant ON links (tenant, created_at, hash);

-- Pending OAuth flows by the SHA-256 of their state (the PKCE verifier sealed).
CREATE TABLE flows (
    state_hash bytea PRIMARY KEY,
    link_hash text NOT NULL,
    tenant text NOT NULL,
    expires_at bigint NOT NULL,
    n bigint GENERATED ALWAYS AS IDENTITY,
    record bytea NOT NULL
);
CREATE INDEX flows_by_link ON flows (link_hash, n);
CREATE INDEX flows_by_tenant ON flows (tenant);
CREATE INDEX flows_by_expiry ON flows (expires_at);

-- Tombstones of flows used or ended: a replay is told apart from a state never seen.
CREATE TABLE used_flows (
    state_hash bytea PRIMARY KEY,
    tenant text NOT NULL,
    used_at bigint NOT NULL,
    record bytea NOT NULL
);
CREATE INDEX used_flows_by_tenant ON used_flows (tenant);
CREATE INDEX used_flows_by_time ON used_flows (used_at);

-- Each tenant's data key, sealed under the master key; its secrets sealed under it.
CREATE TABLE tenant_keys (
    slug text PRIMARY KEY,
    sealed bytea NOT NULL
);
CREATE TABLE secrets (
    slot bytea PRIMARY KEY,
    slug text NOT NULL,
    sealed bytea NOT NULL
);
CREATE INDEX secrets_by_tenant ON secrets (slug);

-- The webhook outbox, by the key of each event: the sequence number of the change it is
-- (u64 big-endian), then for a change's second event and later its index (one byte).
CREATE TABLE outbox (
    key bytea PRIMARY KEY,
    event bytea NOT NULL
);

-- The audit chain from its genesis (0); its head is `audit_head` in meta.
CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    record bytea NOT NULL
);

-- Imports decided and not yet written: the journal's chunks and the slugs they reserve.
CREATE TABLE import_chunks (
    key bytea PRIMARY KEY,
    rows bytea NOT NULL
);
CREATE TABLE import_slugs (
    slug text PRIMARY KEY,
    chunk bytea NOT NULL
);

-- What the workers publish about themselves (the provisioner's state).
CREATE TABLE published (
    name text PRIMARY KEY,
    record bytea NOT NULL
);
