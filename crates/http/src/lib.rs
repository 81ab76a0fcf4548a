//! What the web app (`devhub-web`) and the database browser (`devhub-studio`) share at the
//! HTTP layer, so that neither imports the other: the same-origin rule for state-changing
//! requests, the security headers, the shutdown signal, and RFC 9457 problem documents.
//!
//! Nothing here knows about the database or either app's pages: each app says what a refused
//! request gets and which paths the rule skips.

pub mod headers;
pub mod origin;
pub mod problem;
pub mod proxy;
pub mod serve;
pub mod shutdown;

pub use headers::{security_headers, CONTENT_SECURITY_POLICY};
pub use origin::{origin_of, same_origin, SameOrigin};
pub use problem::{FieldProblem, Problem, PROBLEM_JSON};
pub use proxy::{Forwarded, TrustedProxies};
pub use serve::{listen, ServeError};
pub use shutdown::shutdown_signal;
