-- Schema 5: Google's security events (RISC) received, by their `jti`, so each is acted on
-- once; the tokens stored before get their identifiers (hashes) in the tenants' records,
-- computed by the release's code step after this migration (see `schema`).
CREATE TABLE risc_events (
    jti text PRIMARY KEY,
    received_at bigint NOT NULL,
    record bytea NOT NULL
);
CREATE INDEX risc_events_by_time ON risc_events (received_at);
