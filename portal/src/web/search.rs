//! Finding a message on the Berichtenstroom: the search form's fields (BSN, Naam cliënt,
//! Afzender, Ontvangen van/tot as Europe/Amsterdam days, in this tab or across all), read
//! into the domain's [`SearchQuery`], and the links that page through the results. The
//! search itself is the read side's (an index of keyed hashes); every search is recorded in
//! the access log with what it searched by, the BSN sealed.

use ketenpost_domain::bsn::Bsn;
use ketenpost_domain::projections::State as MessageState;
use ketenpost_domain::search::SearchQuery;
use serde::Deserialize;

use crate::clock;

/// The search form's fields, as the query string brings them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchForm {
    /// The client's BSN.
    pub bsn: Option<String>,
    /// Part of the client's name.
    pub naam: Option<String>,
    /// The sender.
    pub afzender: Option<String>,
    /// Received on or after this day.
    pub van: Option<String>,
    /// Received on or before this day.
    pub tot: Option<String>,
    /// `alle`: across all tabs; otherwise within the tab.
    pub waar: Option<String>,
}

/// The form as shown again above the results.
#[derive(Debug, Clone, Default)]
pub struct SearchView {
    /// The fields as typed.
    pub bsn: String,
    pub naam: String,
    pub afzender: String,
    pub van: String,
    pub tot: String,
    /// Across all tabs.
    pub all: bool,
    /// Whether a search was made (results are shown instead of the tab).
    pub active: bool,
}

fn given(field: Option<&String>) -> Option<String> {
    field.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty())
}

impl SearchForm {
    /// The form as shown again.
    pub fn view(&self, active: bool) -> SearchView {
        let text = |f: &Option<String>| f.as_deref().unwrap_or_default().trim().to_owned();
        SearchView {
            bsn: text(&self.bsn),
            naam: text(&self.naam),
            afzender: text(&self.afzender),
            van: text(&self.van),
            tot: text(&self.tot),
            all: self.waar.as_deref() == Some("alle"),
            active,
        }
    }

    /// Whether any field asks something.
    pub fn asked(&self) -> bool {
        [&self.bsn, &self.naam, &self.afzender, &self.van, &self.tot]
            .iter()
            .any(|f| given(f.as_ref()).is_some())
    }

    /// The query for a search within `tab` (or across all); the Dutch refusal for a field
    /// that cannot be searched by.
    ///
    /// # Errors
    /// A BSN that is not one, a day that is not a date, a name of initials only.
    pub fn query(&self, tab: MessageState) -> Result<SearchQuery, &'static str> {
        let bsn = match given(self.bsn.as_ref()) {
            Some(text) => Some(
                Bsn::parse(&text)
                    .map_err(|_| "Dit is geen geldig BSN: vul de negen cijfers in.")?
                    .expose()
                    .to_owned(),
            ),
            None => None,
        };
        let day = |field: Option<&String>| -> Result<Option<i64>, &'static str> {
            given(field)
                .map(|text| clock::day_start_ms(&text).ok_or("Vul een datum in als dd-mm-jjjj."))
                .transpose()
        };
        let from_ms = day(self.van.as_ref())?;
        let until_ms = day(self.tot.as_ref())?.map(clock::next_day_start_ms);
        let query = SearchQuery {
            bsn,
            name: given(self.naam.as_ref()),
            sender: given(self.afzender.as_ref()),
            from_ms,
            until_ms,
            state: (self.waar.as_deref() != Some("alle")).then_some(tab),
        };
        if query.name.is_some() && query.name_words().is_empty() {
            return Err("Zoek op naam met ten minste twee letters van een naam.");
        }
        Ok(query)
    }

    /// The query string of this search in `tab` from `cursor` (for the page links).
    pub fn href(&self, tab: &str, cursor: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("tab", tab.to_owned())];
        let view = self.view(true);
        for (name, value) in [
            ("bsn", view.bsn),
            ("naam", view.naam),
            ("afzender", view.afzender),
            ("van", view.van),
            ("tot", view.tot),
        ] {
            if !value.is_empty() {
                pairs.push((name, value));
            }
        }
        if view.all {
            pairs.push(("waar", "alle".into()));
        }
        if let Some(cursor) = cursor {
            pairs.push(("na", cursor.to_owned()));
        }
        format!(
            "/berichten?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    /// What the access log records of this search: what it searched by and where, never
    /// what for.
    pub fn recorded(query: &SearchQuery, tab: &str) -> String {
        format!(
            "search by {} in {}",
            query.kinds().join(","),
            if query.state.is_some() { tab } else { "all" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpost_domain::category::Category;

    const TAB: MessageState = MessageState::Category(Category::UnknownBsn);

    #[test]
    fn the_form_becomes_a_query_within_the_tab_or_across_all() {
        let form = SearchForm {
            bsn: Some(" 999999990 ".into()),
            tot: Some("2026-12-13".into()),
            ..SearchForm::default()
        };
        let query = form.query(TAB).unwrap();
        assert_eq!(query.bsn.as_deref(), Some("999999990"));
        assert_eq!(query.state, Some(TAB));
        assert_eq!(query.until_ms, clock::day_start_ms("14-12-2026"));
        let all = SearchForm {
            waar: Some("alle".into()),
            ..form
        };
        assert_eq!(all.query(TAB).unwrap().state, None);
        assert!(all.href("unknown_bsn", None).contains("waar=alle"));
        assert_eq!(
            SearchForm::recorded(&all.query(TAB).unwrap(), "unknown_bsn"),
            "search by bsn,date in all"
        );
    }

    #[test]
    fn a_field_that_cannot_be_searched_by_is_refused_in_dutch() {
        let near_miss = SearchForm {
            bsn: Some("999999991".into()),
            ..SearchForm::default()
        };
        assert!(near_miss.query(TAB).unwrap_err().contains("BSN"));
        let date = SearchForm {
            van: Some("13/12".into()),
            ..SearchForm::default()
        };
        assert!(date.query(TAB).is_err());
        let initials = SearchForm {
            naam: Some("J.".into()),
            ..SearchForm::default()
        };
        assert!(initials.query(TAB).is_err());
        assert!(!SearchForm::default().asked());
    }
}
