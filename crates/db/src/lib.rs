//! The data layer of Developer Hub CRM: connecting to libSQL (local file, remote server or
//! embedded replica), migrations and schema tooling, row types and repositories.

pub mod config;
mod db;
pub mod error;
pub mod migrate;
pub mod repo;
pub mod row;
pub mod validate;

pub use config::{DbConfig, Location, Synchronous, DEFAULT_DATABASE_URL};
pub use db::{Db, OpenMode, PooledConn};
pub use error::{Error, FieldError, Result, ValidationErrors};
pub use repo::contact::{
    BulkAction, Contact, ContactFilter, ContactId, ContactInput, ContactPage, ContactQuery,
    ContactRepo, ContactSort, ContactStatus, DistinctField, NewContact, SortDirection,
};
pub use repo::user::{NewUser, User, UserId, UserRepo};

impl Db {
    pub fn users(&self) -> UserRepo {
        UserRepo::new(self)
    }

    pub fn contacts(&self) -> ContactRepo {
        ContactRepo::new(self)
    }
}
