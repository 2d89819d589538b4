//! ketenpost's web portal, part one: who may come in and how. Portal users are streams in the
//! event log (see `ketenpost_domain::users`); this crate holds the rules for passwords,
//! second factors, failed logins and sessions (`rules`), the secrets kept of them (`secrets`),
//! how a user is named without naming them in the log (`identity`), the operations on users
//! (`users`), the mails the portal sends (`mail`) and times as people read them (`clock`).

pub mod access;
pub mod audit;
pub mod clock;
pub mod configuration;
pub mod consents;
pub mod detail;
pub mod identity;
pub mod mail;
pub mod notes;
pub mod notices;
pub mod rules;
pub mod secrets;
pub mod stream;
pub mod users;
pub mod web;
