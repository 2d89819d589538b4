//! A portal user as their stream tells it: the fold that answers logins. The rules that judge
//! a password, a code or a session live in the portal; this only says what is recorded.

use crate::events::{
    Event, LinkPurpose, RecordedEvent, Role, SecondFactorUsed, StreamId, UserChange,
};

/// A one-time link that is still open (not used, not replaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLink {
    /// Invitation or reset.
    pub purpose: LinkPurpose,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Valid until, milliseconds since 1970-01-01 UTC.
    pub expires_at_ms: i64,
}

/// What a user's stream says about them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    /// The stream.
    pub stream: StreamId,
    /// The stream's last version (for an append that expects it).
    pub version: u64,
    /// The sealed e-mail address and name.
    pub profile: String,
    /// The role.
    pub role: Role,
    /// When the user was added, milliseconds since 1970-01-01 UTC.
    pub added_at_ms: i64,
    /// Whether the user is disabled.
    pub disabled: bool,
    /// The argon2id hash of the password, once one is set.
    pub password_hash: Option<String>,
    /// The sealed TOTP secret, once enrolled (and not reset).
    pub totp_secret: Option<String>,
    /// The newest TOTP step accepted: no code of this step or before is accepted again.
    pub last_totp_step: Option<u64>,
    /// The hashes of the recovery codes not yet used.
    pub recovery_codes: Vec<String>,
    /// The newest link to set a password, while it is not used or replaced. Setting a password
    /// closes every link, so a link is usable once.
    pub open_link: Option<OpenLink>,
    /// When the password, second factor or role last changed or the user was disabled,
    /// milliseconds since 1970-01-01 UTC: sessions that started before it end.
    pub sessions_valid_from_ms: i64,
}

impl UserState {
    /// Folds a user stream; `None` when it holds no `UserAdded` (no such user).
    pub fn from_history(history: &[RecordedEvent]) -> Option<Self> {
        let mut state: Option<Self> = None;
        for recorded in history {
            if let Event::UserAdded(added) = &recorded.event {
                state = Some(Self {
                    stream: recorded.stream.clone(),
                    version: recorded.version,
                    profile: added.profile.clone(),
                    role: added.role,
                    added_at_ms: recorded.recorded_at_ms,
                    disabled: false,
                    password_hash: None,
                    totp_secret: None,
                    last_totp_step: None,
                    recovery_codes: Vec::new(),
                    open_link: None,
                    sessions_valid_from_ms: recorded.recorded_at_ms,
                });
                continue;
            }
            if let Some(user) = &mut state {
                user.apply(recorded);
            }
        }
        state
    }

    /// Whether the user has a second factor and may log in with it.
    pub fn enrolled(&self) -> bool {
        self.totp_secret.is_some()
    }

    fn apply(&mut self, recorded: &RecordedEvent) {
        self.version = recorded.version;
        let at = recorded.recorded_at_ms;
        match &recorded.event {
            Event::PasswordLinkIssued(link) => {
                self.open_link = Some(OpenLink {
                    purpose: link.purpose,
                    token_hash: link.token_hash.clone(),
                    expires_at_ms: link.expires_at_ms,
                });
            }
            Event::PasswordSet(set) => {
                self.password_hash = Some(set.hash.clone());
                self.open_link = None;
                self.sessions_valid_from_ms = at;
            }
            Event::TwoFactorEnrolled(enrolled) => {
                self.totp_secret = Some(enrolled.secret.clone());
                self.last_totp_step = Some(enrolled.step);
                self.sessions_valid_from_ms = at;
            }
            Event::RecoveryCodesIssued(codes) => {
                self.recovery_codes.clone_from(&codes.hashes);
            }
            Event::SecondFactorUsed(SecondFactorUsed::Totp { step }) => {
                self.last_totp_step = Some(self.last_totp_step.map_or(*step, |s| s.max(*step)));
            }
            Event::SecondFactorUsed(SecondFactorUsed::RecoveryCode { hash }) => {
                self.recovery_codes.retain(|h| h != hash);
            }
            Event::UserChanged(changed) => {
                match changed.change {
                    UserChange::Disabled => self.disabled = true,
                    UserChange::TwoFactorReset => {
                        self.totp_secret = None;
                        self.last_totp_step = None;
                        self.recovery_codes.clear();
                    }
                }
                self.sessions_valid_from_ms = at;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{
        EventId, PasswordLinkIssued, PasswordSet, RecoveryCodesIssued, StreamKind,
        TwoFactorEnrolled, UserAdded, UserChanged,
    };

    fn at(version: u64, event: Event) -> RecordedEvent {
        RecordedEvent {
            position: version,
            id: EventId(u128::from(version)),
            stream: StreamId::new(StreamKind::User, EventId(3)),
            version,
            recorded_at_ms: 1_000 * i64::try_from(version).unwrap_or(0),
            code_version: "test".into(),
            schema_version: 1,
            event,
        }
    }

    fn added() -> Event {
        Event::UserAdded(UserAdded {
            profile: "sealed:v1:x".into(),
            role: Role::Beheerder,
            added_by: "cli".into(),
        })
    }

    fn link(hash: &str) -> Event {
        Event::PasswordLinkIssued(PasswordLinkIssued {
            purpose: LinkPurpose::Invitation,
            token_hash: hash.into(),
            expires_at_ms: 99,
        })
    }

    #[test]
    fn a_stream_without_user_added_is_no_user() {
        assert_eq!(UserState::from_history(&[at(0, link("a"))]), None);
    }

    #[test]
    fn setting_a_password_closes_the_link() {
        let user = UserState::from_history(&[
            at(0, added()),
            at(1, link("a")),
            at(
                2,
                Event::PasswordSet(PasswordSet {
                    hash: "$argon2id$".into(),
                }),
            ),
        ])
        .unwrap();
        assert_eq!(user.open_link, None);
        assert_eq!(user.password_hash.as_deref(), Some("$argon2id$"));
        assert_eq!(user.version, 2);
        assert_eq!(user.sessions_valid_from_ms, 2_000);
    }

    #[test]
    fn a_newer_link_replaces_the_older() {
        let user =
            UserState::from_history(&[at(0, added()), at(1, link("a")), at(2, link("b"))]).unwrap();
        assert_eq!(user.open_link.unwrap().token_hash, "b");
    }

    #[test]
    fn used_factors_are_spent() {
        let user = UserState::from_history(&[
            at(0, added()),
            at(
                1,
                Event::TwoFactorEnrolled(TwoFactorEnrolled {
                    secret: "s".into(),
                    step: 10,
                }),
            ),
            at(
                2,
                Event::RecoveryCodesIssued(RecoveryCodesIssued {
                    hashes: vec!["r1".into(), "r2".into()],
                }),
            ),
            at(
                3,
                Event::SecondFactorUsed(SecondFactorUsed::Totp { step: 12 }),
            ),
            at(
                4,
                Event::SecondFactorUsed(SecondFactorUsed::Totp { step: 11 }),
            ),
            at(
                5,
                Event::SecondFactorUsed(SecondFactorUsed::RecoveryCode { hash: "r1".into() }),
            ),
        ])
        .unwrap();
        assert_eq!(user.last_totp_step, Some(12));
        assert_eq!(user.recovery_codes, ["r2"]);
    }

    #[test]
    fn a_reset_removes_the_second_factor_and_disabling_ends_sessions() {
        let change = |change| {
            Event::UserChanged(UserChanged {
                change,
                by: "cli".into(),
            })
        };
        let user = UserState::from_history(&[
            at(0, added()),
            at(
                1,
                Event::TwoFactorEnrolled(TwoFactorEnrolled {
                    secret: "s".into(),
                    step: 10,
                }),
            ),
            at(2, change(UserChange::TwoFactorReset)),
            at(3, change(UserChange::Disabled)),
        ])
        .unwrap();
        assert!(!user.enrolled() && user.disabled);
        assert_eq!(user.sessions_valid_from_ms, 3_000);
    }
}
