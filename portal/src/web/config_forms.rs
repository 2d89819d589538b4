//! The forms of the Configuratie page, each proposing a change of the version in force:
//! Organisatie, an EDI account (add, wijzig, verwijderen) and the Extra instellingen of a
//! record-system account. A secret left empty keeps its value ("Er is al een waarde
//! ingevuld"); a secret given is sealed before it is recorded. A message type without
//! visibility is refused here, with the reason.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use ketenpost_domain::configuration::{
    ContactEntry, MailboxEntry, OrganisationEntry, RoutingConfig, SecretText,
};
use ketenpost_domain::organisation::{ContactRole, Kvk};
use ketenpost_domain::routing::{RightSelection, TypeSettings};

use super::config_pages::{config_page, tell_service_desk, READERS};
use super::guard::CsrfToken;
use super::pages;
use super::{Portal, Signed};
use crate::configuration as desk;

/// The fields of a form, by name.
type Fields = HashMap<String, String>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map_or("", |v| v.trim())
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Runs `change` on a copy of the version in force and proposes the result.
async fn propose(
    portal: Arc<Portal>,
    signed: Signed,
    csrf: CsrfToken,
    change: impl FnOnce(&mut RoutingConfig) -> Result<(), String> + Send + 'static,
) -> Response {
    if !signed.has_role(&READERS) {
        return pages::refusal(StatusCode::FORBIDDEN, "Deze pagina is niet voor uw rol.");
    }
    tokio::task::spawn_blocking(move || {
        let fail = |error: &str, status| config_page(&portal, &signed, &csrf.0, "", error, status);
        let Ok((history, _)) = desk::history(&*portal.log) else {
            return pages::unavailable();
        };
        let Some((_, in_force)) = history.in_force() else {
            return pages::unavailable();
        };
        let mut routing = in_force.clone();
        if let Err(error) = change(&mut routing) {
            return fail(&error, StatusCode::UNPROCESSABLE_ENTITY);
        }
        match desk::propose(
            &*portal.log,
            &portal.key,
            signed.user.stream.as_str(),
            portal.now(),
            routing,
        ) {
            Ok(version) => {
                tracing::info!(target: "portal", version, author = %signed.user.stream, "configuration change proposed");
                tell_service_desk(&portal, version);
                config_page(
                    &portal,
                    &signed,
                    &csrf.0,
                    &format!("Voorstel versie {version} is vastgelegd en wacht op beoordeling door de servicedesk."),
                    "",
                    StatusCode::OK,
                )
            }
            Err(error) => fail(&error.to_string(), StatusCode::CONFLICT),
        }
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

/// POST /configuratie/organisatie.
pub async fn organisation(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    propose(portal, signed, csrf, move |routing| {
        let name = field(&fields, "naam");
        if name.is_empty() {
            return Err("Organisatienaam is verplicht.".into());
        }
        let kvk = Kvk::parse(field(&fields, "kvk"))
            .map_err(|_| "Kamer van Koophandel is verplicht: 8 cijfers.".to_owned())?;
        let mut contacts = std::collections::BTreeMap::new();
        for role in ContactRole::ALL {
            let key = role.key();
            let name = field(&fields, &format!("{key}_naam"));
            let email = field(&fields, &format!("{key}_email"));
            let phone = field(&fields, &format!("{key}_telefoon"));
            if name.is_empty() && email.is_empty() && phone.is_empty() {
                continue;
            }
            if name.is_empty() || !crate::identity::plausible_email(email) {
                return Err(format!(
                    "{}: vul een naam en een geldig e-mailadres in.",
                    role.dutch()
                ));
            }
            contacts.insert(
                key.to_owned(),
                ContactEntry {
                    name: name.to_owned(),
                    email: email.to_owned(),
                    phone: optional(phone),
                },
            );
        }
        routing.organisation = Some(OrganisationEntry {
            name: name.to_owned(),
            kvk: kvk.as_str().to_owned(),
            vat: optional(field(&fields, "btw")),
            contacts,
        });
        Ok(())
    })
    .await
}

/// POST /configuratie/accounts: adds an EDI account, or changes the one named `oud`.
pub async fn account(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    propose(portal, signed, csrf, move |routing| {
        let name = field(&fields, "naam");
        let number = field(&fields, "postbus");
        let key = field(&fields, "access_key");
        let old = field(&fields, "oud");
        if name.is_empty() || name == "manual" || number.is_empty() {
            return Err("Vul Naam en Postbus nummer in.".into());
        }
        if old != name && routing.mailboxes.iter().any(|m| m.name == name) {
            return Err(format!("Er is al een account met de naam {name}."));
        }
        if old.is_empty() {
            // A new EDI account reaches the same mail web service as the first one.
            let Some(model) = routing.mailboxes.iter().find(|m| m.kind == "zorgmail").cloned() else {
                return Err("Er is nog geen EDI-account om de verbinding van over te nemen; de servicedesk richt het eerste in.".into());
            };
            if key.is_empty() {
                return Err("Vul de Access-key in.".into());
            }
            routing.mailboxes.push(MailboxEntry {
                name: name.to_owned(),
                account_id: Some(number.to_owned()),
                username: Some(number.to_owned()),
                password: Some(SecretText(key.to_owned())),
                ..model
            });
            return Ok(());
        }
        let mailbox = routing
            .mailboxes
            .iter_mut()
            .find(|m| m.name == old && m.kind == "zorgmail")
            .ok_or_else(|| format!("Er is geen EDI-account {old}."))?;
        mailbox.name = name.to_owned();
        mailbox.account_id = Some(number.to_owned());
        if !key.is_empty() {
            mailbox.password = Some(SecretText(key.to_owned()));
        }
        Ok(())
    })
    .await
}

/// POST /configuratie/accounts/verwijderen.
pub async fn remove_account(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    propose(portal, signed, csrf, move |routing| {
        let name = field(&fields, "naam").to_owned();
        let before = routing.mailboxes.len();
        routing.mailboxes.retain(|m| m.name != name);
        if routing.mailboxes.len() == before {
            return Err(format!("Er is geen account {name}."));
        }
        Ok(())
    })
    .await
}

/// POST /configuratie/extra/{route}.
pub async fn extra(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Path(name): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    propose(portal, signed, csrf, move |routing| {
        let route = routing
            .routes
            .get_mut(&name)
            .ok_or_else(|| format!("Er is geen account {name}."))?;
        route.medvri_pdf_senders = list(field(&fields, "afzenders"));
        route.place_incoming_pdf = !field(&fields, "pdf").is_empty();
        for type_name in ["MEDVRI", "MEDLAB"] {
            let labels = list(field(&fields, &format!("{type_name}_labels")));
            let actions = list(field(&fields, &format!("{type_name}_acties")));
            let groups = list(field(&fields, &format!("{type_name}_groepen")));
            let visibility = match field(&fields, &format!("{type_name}_zichtbaarheid")) {
                "Me" => Some(RightSelection::Me),
                "Group" => Some(RightSelection::Group),
                "Education" => Some(RightSelection::Education),
                "Nobody" => Some(RightSelection::Nobody),
                _ => None,
            };
            if labels.is_empty() && actions.is_empty() && groups.is_empty() && visibility.is_none()
            {
                route.types.remove(type_name);
                continue;
            }
            if visibility.is_none() {
                return Err(format!(
                    "{type_name} kan niet worden opgeslagen zonder zichtbaarheid: zonder \
                     zichtbaarheid ziet iedere medewerker het document, en ook het cliëntportaal."
                ));
            }
            let before = route.types.get(type_name).cloned();
            route.types.insert(
                type_name.to_owned(),
                TypeSettings {
                    labels,
                    actions,
                    right_selection: visibility,
                    expertise_groups: groups,
                    expertise_profiles: before.map(|b| b.expertise_profiles).unwrap_or_default(),
                },
            );
        }
        let employee = field(&fields, "medewerker");
        let record_system = route.record_system.clone();
        if let Some(system) = routing.record_systems.get_mut(&record_system) {
            if !employee.is_empty() {
                system.employee_object_id = employee.to_owned();
            }
        }
        Ok(())
    })
    .await
}
