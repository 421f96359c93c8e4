//! One unit of work for the engine, and the one way to run it ([`super::Engine::run`]): an
//! operation gets the core and the actor it is done for, and does everything it does
//! through them (the core's commit point for every change).

use std::future::Future;

use super::core::Core;
use crate::domain::actor::Actor;

pub trait Operation: Send {
    type Output: Send;
    fn run(self, core: &Core, actor: &Actor) -> impl Future<Output = Self::Output> + Send;
}
