//! The web app of Developer Hub CRM.

pub mod auth;
