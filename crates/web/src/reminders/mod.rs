//! Reminders that arrive: what a reminder says ([`content`]), and the channels that carry it:
//! e-mail over SMTP ([`mail`]), a signed webhook or an ntfy push ([`push`]), each ending in an
//! [`Outcome`] the delivery record keeps.

pub mod content;
pub mod mail;
pub mod outcome;
pub mod push;

pub use content::{Item, Kind, Links, Reminder};
pub use mail::Mailer;
pub use outcome::Outcome;
pub use push::Pusher;
