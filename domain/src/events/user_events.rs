//! The events of a portal user's life (`user-<id>` streams): added, invited, password and
//! second factor set, disabled. The user's e-mail address and name are personal data: they
//! travel only inside `profile`, sealed with the data key by whoever writes the event (the
//! domain does no IO and no cryptography), the way payloads are kept. The stream id is a keyed
//! hash of the address, so a login finds its stream without a readable address anywhere.

use serde::{Deserialize, Serialize};

/// What a user may do in the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The organisation's staff: message stream, resend, propose configuration changes.
    Secretariaat,
    /// As `secretariaat`, plus managing the organisation's portal users.
    Beheerder,
    /// The supplier's support staff: reviews configuration changes.
    Servicedesk,
}

impl Role {
    /// Every role, in the order they are documented.
    pub const ALL: [Role; 3] = [Role::Secretariaat, Role::Beheerder, Role::Servicedesk];

    /// The role's name as written in commands and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secretariaat => "secretariaat",
            Self::Beheerder => "beheerder",
            Self::Servicedesk => "servicedesk",
        }
    }

    /// The role named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name.trim())
    }
}

/// A user was added (first event of a `user-` stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAdded {
    /// The e-mail address and name, sealed with the data key (`sealed:v1:...`).
    pub profile: String,
    /// The role.
    pub role: Role,
    /// Who added the user (`cli`, or a user stream id).
    pub added_by: String,
}

/// Why a one-time link to set a password was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// The invitation sent when a user is added.
    Invitation,
    /// A password reset the user asked for.
    Reset,
}

/// A one-time link to set a password was issued; only the token's hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordLinkIssued {
    /// Invitation or reset.
    pub purpose: LinkPurpose,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Valid until, milliseconds since 1970-01-01 UTC.
    pub expires_at_ms: i64,
}

/// A password was set (through a link or on the profile page); ends every open link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordSet {
    /// The argon2id hash in PHC form.
    pub hash: String,
}

/// A TOTP secret was confirmed with a first code; replaces any earlier secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorEnrolled {
    /// The secret, sealed with the data key.
    pub secret: String,
    /// The time step of the confirming code (so it cannot be used again).
    pub step: u64,
}

/// A new set of recovery codes replaces the old one; only hashes are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodesIssued {
    /// SHA-256 of each code, hex.
    pub hashes: Vec<String>,
}

/// A second factor was used to log in: the TOTP step or the recovery code, so neither is
/// accepted again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecondFactorUsed {
    /// A TOTP code of this time step.
    Totp {
        /// The step.
        step: u64,
    },
    /// The recovery code with this hash.
    RecoveryCode {
        /// SHA-256 of the code, hex.
        hash: String,
    },
}

/// An operator or a `beheerder` changed the user: disabled, or second factor removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChanged {
    /// What changed.
    pub change: UserChange,
    /// Who changed it (`cli`, or a user stream id).
    pub by: String,
}

/// The changes an operator or a `beheerder` makes to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserChange {
    /// The user can no longer log in; their sessions end.
    Disabled,
    /// The second factor and recovery codes are removed (a lost phone): the user enrols anew
    /// at the next login.
    TwoFactorReset,
}

impl UserChange {
    /// The change as the security log names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::TwoFactorReset => "two-factor reset",
        }
    }
}

/// One entry of the security log (`security-<id>` streams, the id that of the user stream of
/// the address it concerns, also when no such user exists): who, from where, what, and how it
/// ended. Never a password, code or token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityLogged {
    /// What happened, e.g. `login`, `logout`, `lockout`, `password_set`, `reset_requested`.
    pub action: String,
    /// Which factor, where one was used: `password`, `totp`, `recovery_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    /// The client's address.
    pub address: String,
    /// `success`, or why not (for the operator: `wrong_password`, `unknown_user`, `locked`,
    /// `disabled`, `wrong_code`, ...).
    pub outcome: String,
}
