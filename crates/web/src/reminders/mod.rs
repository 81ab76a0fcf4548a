pub mod links;
pub mod routes;
pub mod settings;
