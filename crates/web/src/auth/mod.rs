//! Authentication (DESIGN.md §4).

pub mod password;
