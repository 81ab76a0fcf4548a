//! devhub-web
