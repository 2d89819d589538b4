//! A small browser for the daemon's portal over HTTP: cookies kept by hand, forms posted with
//! the CSRF cookie's token and the Origin, no redirects followed; and a user taken from the
//! invitation link to a session (password, second factor).

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use ketenpost_portal::rules::totp;

pub const PASSWORD: &str = "een lange zin als wachtwoord";

/// An answer.
pub struct Page {
    pub status: u16,
    pub location: String,
    pub body: String,
}

/// A browser session.
pub struct Browser {
    base: String,
    cookies: BTreeMap<String, String>,
    client: reqwest::Client,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        ketenpost_adapters::tls::install_crypto_provider();
        Self {
            base: base.to_owned(),
            cookies: BTreeMap::new(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        for cookie in response.headers().get_all("set-cookie") {
            let cookie = cookie.to_str().unwrap();
            let (name, value) = cookie.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() || cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.text().await.unwrap();
        Page {
            status,
            location,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self
            .cookies
            .iter()
            .find(|(name, _)| name.ends_with("ketenpost-csrf"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        form.push(("csrf".into(), csrf));
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&form).unwrap())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }
}

fn unbase32(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut buffer, mut out) = (0u32, 0u64, Vec::new());
    for c in text.trim().chars() {
        buffer = (buffer << 5) | ALPHABET.find(c).unwrap() as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in {body}"))
        + start.len();
    let to = body[from..].find(end).unwrap() + from;
    &body[from..to]
}

/// From the invitation `link` (a full URL under `base`) to a signed-in session.
pub async fn enrolled(base: &str, link: &str) -> Browser {
    let path = link.strip_prefix(base).unwrap().to_owned();
    let mut browser = Browser::new(base);
    let form = browser.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let set = browser
        .post(&path, &[("wachtwoord", PASSWORD), ("herhaal", PASSWORD)])
        .await;
    assert_eq!(set.location, "/profiel/twee-factor", "{}", set.body);
    let enrol = browser.get("/profiel/twee-factor").await;
    let secret = unbase32(between(&enrol.body, "<code class=\"secret\">", "</code>"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = format!("{:06}", totp::code_at_step(&secret, totp::step_at(now)));
    let done = browser
        .post("/profiel/twee-factor", &[("code", &code)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    browser
}
