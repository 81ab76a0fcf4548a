//! One repository per entity. Every query on user data is scoped by the owner's id.

pub mod contact;
pub mod user;
