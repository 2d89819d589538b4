//! The forms the pages post, as they arrive (the CSRF field is checked before, in `guard.rs`).

use serde::Deserialize;

/// Inloggen.
#[derive(Deserialize)]
pub struct LoginForm {
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Wachtwoord.
    #[serde(default)]
    pub wachtwoord: String,
    /// Onthouden (present when ticked).
    pub onthouden: Option<String>,
}

/// The code step, and enrolment (with the password when logged in).
#[derive(Deserialize)]
pub struct CodeForm {
    /// The code.
    #[serde(default)]
    pub code: String,
    /// The current password, where asked.
    #[serde(default)]
    pub wachtwoord: String,
}

/// A new password, twice.
#[derive(Deserialize)]
pub struct NewPasswordForm {
    /// The password.
    #[serde(default)]
    pub wachtwoord: String,
    /// Again.
    #[serde(default)]
    pub herhaal: String,
}

/// Only the current password.
#[derive(Deserialize)]
pub struct PasswordForm {
    /// The current password.
    #[serde(default)]
    pub wachtwoord: String,
}

/// Only an e-mail address (a reset request).
#[derive(Deserialize)]
pub struct EmailForm {
    /// The address.
    #[serde(default)]
    pub email: String,
}

/// A password change on the profile: the current one, and the new one twice.
#[derive(Deserialize)]
pub struct ChangePasswordForm {
    /// The current password.
    #[serde(default)]
    pub huidig: String,
    /// The new password.
    #[serde(default)]
    pub wachtwoord: String,
    /// Again.
    #[serde(default)]
    pub herhaal: String,
}
