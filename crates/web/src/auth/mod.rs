//! Authentication (DESIGN.md §4): password hashing, Lucia-style sessions, the middleware that
//! requires a signed-in user, and the rate limiter of log-in and registration.

pub use devhub_db::password;
pub mod rate_limit;
pub mod session;

pub use session::{require_admin, require_user, CurrentUser};
