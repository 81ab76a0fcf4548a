//! Reminders that arrive: what a reminder says ([`content`]), and the channels that carry it:
//! e-mail over SMTP ([`mail`]), a signed webhook or an ntfy push ([`push`]), each ending in an
//! [`Outcome`] the delivery record keeps; the [`engine`] that plans, claims, sends and records
//! them; Settings → Reminders ([`settings`]) and the links of reminder e-mails that work
//! without logging in ([`links`]), at the addresses of [`routes`].

pub mod content;
pub mod engine;
pub mod links;
pub mod mail;
pub mod outcome;
pub mod push;
pub mod routes;
pub mod settings;

pub use content::{Item, Kind, Links, Reminder};
pub use engine::{Engine, RunReport};
pub use mail::Mailer;
pub use outcome::Outcome;
pub use push::Pusher;
