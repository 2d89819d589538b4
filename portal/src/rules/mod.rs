//! The pure rules of the portal: what a password must be, when a TOTP code counts, how failed
//! logins slow an account down, when a session ends. Time is passed in; nothing here does IO.

pub mod lockout;
pub mod password;
pub mod proxy;
pub mod session;
pub mod totp;
