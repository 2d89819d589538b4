//! The pure core of ketenpost: reading Dutch care EDIFACT, the BSN, the message model, the
//! printable document and the classification rules. No IO and no async runtime live here.

pub mod bsn;
pub mod category;
pub mod classify;
pub mod configuration;
pub mod date;
pub mod delivery;
pub mod document;
pub mod edifact;
pub mod events;
pub mod lab_report;
pub mod labels;
pub mod letter;
pub mod medlab;
pub mod medvri;
pub mod message;
pub mod notifications;
pub mod organisation;
pub mod payload;
pub mod people;
pub mod ports;
pub mod processing;
pub mod projections;
pub mod routing;
pub mod search;
pub mod users;
pub mod work;
