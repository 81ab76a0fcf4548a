//! Integration tests of the studio: the real router in process (tower `oneshot`) on real
//! libSQL database files in temporary folders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod browse;
mod common;
mod console;
mod edit;
mod export;
mod relationships;
mod server_reads;
