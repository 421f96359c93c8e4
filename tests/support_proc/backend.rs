//! A world whose commands keep their data in one backend's store: sled in the data dir (the
//! default), or a PostgreSQL server of the world's own, stopped with the world.

use super::World;
use super::pg::{Backend, PgServer};

impl World {
    /// This world with its store on `backend`. `None`: `backend` is PostgreSQL and it is
    /// not installed (SKIPPED, see [`PgServer::start`]).
    pub fn on(mut self, backend: Backend) -> Option<Self> {
        if backend == Backend::Postgres {
            let pg = PgServer::start()?;
            self.env
                .extend(pg.env().into_iter().map(|(k, v)| (k.to_owned(), v)));
            self.pg = Some(pg);
        }
        Some(self)
    }
}
