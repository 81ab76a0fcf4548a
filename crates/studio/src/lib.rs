//! devhub-studio
