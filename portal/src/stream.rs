//! The Berichtenstroom as people read it: the six tabs in the order the secretariat works
//! through them, what each one means and what to do about it, and the kind of document a
//! message is. Texts only; the pages are in `web::stream`.

use ketenpost_domain::category::Category;
use ketenpost_domain::labels::document as label;
use ketenpost_domain::projections::{MessageSummary, State};

/// The tabs, in the order people see them: what needs work first, Verwerkt last.
pub const TABS: [Category; 6] = [
    Category::Fallout,
    Category::Unsupported,
    Category::MissingBsn,
    Category::UnknownBsn,
    Category::TechnicalError,
    Category::Processed,
];

/// The states counted as "in behandeling": read and not yet in a category.
pub const IN_PROGRESS: [State; 2] = [State::InFlight, State::AwaitingDelivery];

/// One sentence under a tab: what the category means and what to do.
pub fn guidance(category: Category) -> &'static str {
    match category {
        Category::Fallout => {
            "Deze berichten konden om een andere reden niet worden verwerkt: bekijk de reden \
             bij het bericht, los die op of neem contact op met de servicedesk, en druk daarna \
             op HERZENDEN."
        }
        Category::Unsupported => {
            "Dit soort bericht of deze afzender verwerkt ketenpost niet: neem contact op met de \
             servicedesk."
        }
        Category::MissingBsn => {
            "In deze berichten staat geen geldig BSN: vraag de afzender het bericht met het BSN \
             opnieuw te sturen, of plaats het zelf in het dossier van de cliënt."
        }
        Category::UnknownBsn => {
            "Het BSN in deze berichten is niet bekend in het ECD: registreer de cliënt in het \
             ECD en druk daarna op HERZENDEN."
        }
        Category::TechnicalError => {
            "Het ECD was niet bereikbaar of gaf een fout: druk later op HERZENDEN, en neem \
             contact op met de servicedesk als de fout blijft."
        }
        Category::Processed => {
            "Deze berichten staan in het dossier van de cliënt: u hoeft niets te doen."
        }
    }
}

/// The kind of document, as people call it: "Laboratoriumuitslag" for MEDLAB, "Brief" for
/// the letters, otherwise the message type itself (or the payload's format).
pub fn kind(summary: &MessageSummary) -> String {
    let message_type = summary
        .identifier
        .as_deref()
        .and_then(|i| i.split(':').next())
        .unwrap_or_default();
    match message_type {
        "MEDLAB" | "MEDRPT" => label::LAB_REPORT_TITLE.to_owned(),
        "MEDVRI" | "MEDEUR" | "MEDSPE" => label::LETTER_TITLE.to_owned(),
        "" => summary.format.as_str().to_uppercase(),
        other => other.to_owned(),
    }
}

/// Who sent it: the interchange's sender, else the mailbox it came in through.
pub fn sender(summary: &MessageSummary) -> String {
    summary
        .sender_id
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| summary.mailbox.clone())
}

/// The tab a URL names (`?tab=unknown_bsn`); the first tab when absent or unknown.
pub fn tab_named(name: Option<&str>) -> Category {
    name.and_then(Category::from_name)
        .filter(|c| TABS.contains(c))
        .unwrap_or(TABS[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_are_in_the_order_and_with_the_names_people_know() {
        let names: Vec<&str> = TABS.iter().map(|c| c.label()).collect();
        assert_eq!(
            names,
            [
                "Uitval",
                "Niet ondersteund",
                "Ontbrekende BSN",
                "Onbekende BSN",
                "Technische fout",
                "Verwerkt"
            ]
        );
        assert!(guidance(Category::UnknownBsn).contains("HERZENDEN"));
        assert!(guidance(Category::Unsupported).contains("servicedesk"));
    }

    #[test]
    fn an_unknown_tab_name_opens_the_first_tab() {
        assert_eq!(tab_named(Some("unknown_bsn")), Category::UnknownBsn);
        assert_eq!(tab_named(Some("<script>")), Category::Fallout);
        assert_eq!(tab_named(None), Category::Fallout);
    }
}
