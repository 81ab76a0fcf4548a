//! Reminders that arrive: what a reminder says ([`content`]), and the channels that carry it:
//! e-mail over SMTP ([`mail`]), a signed webhook or an ntfy push ([`push`]), each ending in an
//! [`Outcome`] the delivery record keeps; and the [`engine`] that plans, claims, sends and
//! records them.

pub mod content;
pub mod engine;
pub mod mail;
pub mod outcome;
pub mod push;

pub use content::{Item, Kind, Links, Reminder};
pub use engine::{Engine, RunReport};
pub use mail::Mailer;
pub use outcome::Outcome;
pub use push::Pusher;
