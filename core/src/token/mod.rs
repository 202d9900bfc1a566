//! The partner token: kept in memory for every client with the same settings (`cache`), kept in a
//! file between processes (`file`), and asked for with the client-credentials grant (`grant`).

pub(crate) mod cache;
pub(crate) mod file;
pub(crate) mod grant;
