//! The check in front of every state change: a request that is not GET or HEAD must come from
//! a page of the portal and carry the CSRF token of the
//! browser's CSRF cookie in its form (double submit with a `__Host-` cookie, which a sibling
//! domain cannot set). A GET without the cookie gets one. Handlers find the token in the
//! request's extensions as [`CsrfToken`] to put into their forms.
//!
//! "From a page of the portal": its `Origin` is the portal's own. Every page is served with
//! `Referrer-Policy: no-referrer`, and under that policy browsers send `Origin: null` even on
//! a same-origin form post (Fetch standard, "append a request Origin header"); for such a
//! post the browser's Fetch Metadata must then say `Sec-Fetch-Site: same-origin` (sent by
//! current Chrome, Firefox and Safari, and not settable by a page). A request with neither a
//! matching Origin nor that header is refused: this fails closed.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{cookie, pages, Portal};
use crate::secrets;

/// The CSRF cookie.
pub const CSRF_COOKIE: &str = "__Host-ketenpost-csrf";

/// The largest form the portal takes (a password form is far below it).
const MAX_FORM_BYTES: usize = 16 * 1024;

/// The CSRF token of this request, for the forms of the answer.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The origin (`scheme://host[:port]`) of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

/// Compares in time that does not depend on where the first difference is.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn refused(text: &str) -> Response {
    pages::refusal(StatusCode::FORBIDDEN, text)
}

/// The form field `csrf` of an urlencoded body.
fn form_token(body: &[u8]) -> Option<String> {
    url_fields(body)
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
}

fn url_fields(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// Whether a state-changing request comes from a page of the portal (see the module's doc).
fn from_the_portal(headers: &axum::http::HeaderMap, own: &str) -> bool {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .unwrap_or("")
    };
    match text("origin") {
        "null" | "" => text("sec-fetch-site") == "same-origin",
        origin => origin.eq_ignore_ascii_case(own),
    }
}

/// Checks POSTs, hands out CSRF cookies on GETs.
pub async fn check_posts(
    State(portal): State<Arc<Portal>>,
    mut request: Request,
    next: Next,
) -> Response {
    let existing = cookie(request.headers(), CSRF_COOKIE).filter(|t| t.len() >= 32);
    if request.method() == Method::GET || request.method() == Method::HEAD {
        let (token, fresh) = match existing {
            Some(token) => (token, false),
            None => match secrets::new_token() {
                Ok(token) => (token, true),
                Err(_) => return pages::unavailable(),
            },
        };
        request.extensions_mut().insert(CsrfToken(token.clone()));
        let mut response = next.run(request).await;
        if fresh {
            let value = format!("{CSRF_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        return response;
    }
    if !from_the_portal(request.headers(), origin_of(&portal.settings.public_url)) {
        tracing::warn!(target: "portal", "a form was posted from another origin; refused");
        return refused("Dit formulier komt niet van het portaal en is niet verwerkt.");
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return pages::refusal(StatusCode::PAYLOAD_TOO_LARGE, "Het formulier is te groot.");
    };
    let valid = match (&existing, form_token(&bytes)) {
        (Some(cookie), Some(form)) => same(cookie, &form),
        _ => false,
    };
    if !valid {
        tracing::warn!(target: "portal", "a form without a valid CSRF token; refused");
        return refused(
            "Het formulier is verlopen of niet van het portaal. Open de pagina opnieuw en probeer het nog eens.",
        );
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request
        .extensions_mut()
        .insert(CsrfToken(existing.unwrap_or_default()));
    next.run(request).await.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_a_url_is_its_scheme_and_authority() {
        assert_eq!(origin_of("https://p.example"), "https://p.example");
        assert_eq!(
            origin_of("https://p.example:8443/portaal"),
            "https://p.example:8443"
        );
    }

    #[test]
    fn a_post_comes_from_the_portal_by_its_origin_or_by_fetch_metadata() {
        let own = "https://p.example";
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = axum::http::HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, HeaderValue::from_static(v));
            }
            map
        };
        assert!(from_the_portal(
            &headers(&[("origin", "https://p.example")]),
            own
        ));
        assert!(!from_the_portal(
            &headers(&[("origin", "https://evil.example")]),
            own
        ));
        assert!(!from_the_portal(
            &headers(&[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin")
            ]),
            own
        ));
        assert!(from_the_portal(
            &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            own
        ));
        assert!(!from_the_portal(
            &headers(&[("origin", "null"), ("sec-fetch-site", "cross-site")]),
            own
        ));
        assert!(!from_the_portal(&headers(&[("origin", "null")]), own));
        assert!(!from_the_portal(&headers(&[]), own));
    }

    #[test]
    fn tokens_compare_equal_only_when_equal() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd") && !same("abc", "ab"));
    }
}
