//! The data layer of Developer Hub CRM: connecting to libSQL (local file, remote server or
//! embedded replica), migrations and schema tooling, row types and repositories.

pub mod backup;
pub mod config;
mod db;
pub mod error;
pub mod migrate;
pub mod password;
pub mod query;
mod replica;
pub mod repo;
pub mod row;
pub mod search_index;
pub mod secret;
pub mod seed;
pub mod stats;
pub mod transfer;
pub mod validate;

pub use config::{DbConfig, Location, Synchronous, DEFAULT_DATABASE_URL};
pub use db::{Db, Executor, OpenMode, PoolWaitObserver, PooledConn, Tx};
pub use error::{Error, FieldError, Result, ValidationErrors};
pub use query::{Batch, Query, COUNT_LIMIT, FIGURE_COUNT_LIMIT, SEARCH_COUNT_LIMIT};
pub use repo::api_token::{ApiToken, ApiTokenId, ApiTokenRepo};
pub use repo::auth_attempt::{AuthAttemptRepo, Recorded, Rule};
pub use repo::background::{
    Background, BackgroundId, BackgroundInput, BackgroundRepo, NewBackground,
};
pub use repo::cadence::{CadenceRepo, DueContact};
pub use repo::contact::{
    BulkAction, Contact, ContactCursor, ContactFilter, ContactId, ContactInput, ContactPage,
    ContactQuery, ContactRepo, ContactSort, ContactStatus, DistinctField, NewContact,
    SortDirection,
};
pub use repo::contact_detail::{
    ContactDetail, ContactDetailRepo, ContactDetails, ContactDetailsInput, DetailKind, Labeled,
    NewContactDetails,
};
pub use repo::contact_info::{
    ContactInfo, ContactInfoId, ContactInfoInput, ContactInfoRepo, NewContactInfo,
};
pub use repo::contact_photo::{ContactPhotoRepo, Photo};
pub use repo::follow_up::{
    DueIn, FollowUp, FollowUpCounts, FollowUpCountsNear, FollowUpCursor, FollowUpId, FollowUpInput,
    FollowUpRepo, FollowUpStatus, FollowUpWithContact, NewFollowUp, Snooze,
};
pub use repo::import_upload::{ImportUpload, ImportUploadId, ImportUploadRepo};
pub use repo::instance_setting::{InstanceSettingRepo, RegistrationMode};
pub use repo::interaction::{
    FollowUpPlan, Interaction, InteractionCursor, InteractionId, InteractionInput,
    InteractionQuery, InteractionRepo, InteractionType, InteractionWithContact, LoggedInteraction,
    NewInteraction, SHORT_SEARCH_WINDOW,
};
pub use repo::invitation::{
    Invitation, InvitationId, InvitationListing, InvitationProblem, InvitationRepo,
    InvitationStatus, IssuedInvitation,
};
pub use repo::job_lease::JobLeaseRepo;
pub use repo::password_reset::{IssuedReset, PasswordReset, PasswordResetRepo, ResetProblem};
pub use repo::reminder::{
    AttemptOutcome, Channel, Delivery, DeliveryKind, DeliveryRow, DeliveryStatus, Frequency,
    Includes, ReminderInput, ReminderRepo, ReminderSettings,
};
pub use repo::search::{ContactLine, SearchRepo};
pub use repo::security_event::{
    NewSecurityEvent, SecurityEvent, SecurityEventId, SecurityEventKind, SecurityEventRepo,
};
pub use repo::session::{Owner, Session, SessionCheck, SessionId, SessionRepo};
pub use repo::session_meta::{ActiveSession, ClientInfo, SessionMetaRepo};
pub use repo::sha256_hex;
pub use repo::tag::{NewTag, Tag, TagCount, TagCursor, TagId, TagInput, TagRepo};
pub use repo::trash::{
    Deleted, DeletedContact, DeletedContactId, Restored, TrashRepo, UndoId, UndoOutcome, Undone,
};
pub use repo::two_factor::{Challenge, ChallengeId, TwoFactor, TwoFactorRepo};
pub use repo::user::{AccountSummary, NewUser, Refusal, Role, User, UserId, UserRepo};
pub use repo::user_settings::{
    CadenceDays, Preferences, PreferencesInput, TimeZone, UserSettings, UserSettingsRepo,
};
pub use repo::Runner;

/// The repositories, on the pool (`db.contacts()`) or inside a unit of work
/// (`tx.contacts()`); see [`Executor`].
macro_rules! repositories {
    ($($target:ty),*) => {$(
        impl $target {
            pub fn users(&self) -> UserRepo<'_> { UserRepo::new(self) }
            pub fn contacts(&self) -> ContactRepo<'_> { ContactRepo::new(self) }
            pub fn sessions(&self) -> SessionRepo<'_> { SessionRepo::new(self) }
            pub fn interactions(&self) -> InteractionRepo<'_> { InteractionRepo::new(self) }
            pub fn backgrounds(&self) -> BackgroundRepo<'_> { BackgroundRepo::new(self) }
            pub fn contact_infos(&self) -> ContactInfoRepo<'_> { ContactInfoRepo::new(self) }
            pub fn contact_details(&self) -> ContactDetailRepo<'_> { ContactDetailRepo::new(self) }
            pub fn contact_photos(&self) -> ContactPhotoRepo<'_> { ContactPhotoRepo::new(self) }
            pub fn follow_ups(&self) -> FollowUpRepo<'_> { FollowUpRepo::new(self) }
            pub fn tags(&self) -> TagRepo<'_> { TagRepo::new(self) }
            pub fn api_tokens(&self) -> ApiTokenRepo<'_> { ApiTokenRepo::new(self) }
            pub fn import_uploads(&self) -> ImportUploadRepo<'_> { ImportUploadRepo::new(self) }
            pub fn cadences(&self) -> CadenceRepo<'_> { CadenceRepo::new(self) }
            pub fn user_settings(&self) -> UserSettingsRepo<'_> { UserSettingsRepo::new(self) }
            pub fn job_leases(&self) -> JobLeaseRepo<'_> { JobLeaseRepo::new(self) }
            pub fn auth_attempts(&self) -> AuthAttemptRepo<'_> { AuthAttemptRepo::new(self) }
            pub fn search(&self) -> SearchRepo<'_> { SearchRepo::new(self) }
            pub fn trash(&self) -> TrashRepo<'_> { TrashRepo::new(self) }
            pub fn two_factor(&self) -> TwoFactorRepo<'_> { TwoFactorRepo::new(self) }
            pub fn security_events(&self) -> SecurityEventRepo<'_> { SecurityEventRepo::new(self) }
            pub fn session_meta(&self) -> SessionMetaRepo<'_> { SessionMetaRepo::new(self) }
            pub fn instance_settings(&self) -> InstanceSettingRepo<'_> { InstanceSettingRepo::new(self) }
            pub fn invitations(&self) -> InvitationRepo<'_> { InvitationRepo::new(self) }
            pub fn password_resets(&self) -> PasswordResetRepo<'_> { PasswordResetRepo::new(self) }
            pub fn reminders(&self) -> ReminderRepo<'_> { ReminderRepo::new(self) }
        }
    )*};
}
repositories!(Db, Tx);
