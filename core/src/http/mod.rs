//! The HTTP plumbing under the client: what one exchange is made of (`exchange`), the ureq agent
//! that carries it out (`agent`) with the settings it takes, the host name lookup, trusted CAs and
//! proxy it uses, the connections it opens ahead of need (`spare`), how forms and queries are written (`form`), when to try again (`retry`) and what
//! a reply means for the caller (`interpret`).

pub(crate) mod agent;
pub(crate) mod exchange;
pub(crate) mod form;
pub(crate) mod interpret;
pub(crate) mod proxy;
mod resolve;
pub(crate) mod retry;
pub(crate) mod settings;
mod spare;
mod trust;
