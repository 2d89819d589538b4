//! The pure core of ketenpost: reading Dutch care EDIFACT, the BSN, the message model, the
//! printable document and the classification rules. No IO and no async runtime live here.

pub mod document;
