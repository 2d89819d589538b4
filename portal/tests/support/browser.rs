//! A browser for the portal over HTTP, for the tests of this crate and the daemon's (which
//! include this file): cookies kept by hand, forms posted with the CSRF cookie's token and the
//! Origin, no redirects followed.

use std::collections::BTreeMap;

/// An answer as the test reads it.
pub struct Page {
    pub status: u16,
    pub location: String,
    pub set_cookies: Vec<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// A browser: cookies by hand, no redirects followed.
pub struct Browser {
    pub base: String,
    pub cookies: BTreeMap<String, String>,
    client: reqwest::Client,
    pub origin: Option<String>,
    /// An `X-Forwarded-For` header sent with every request (as a proxy would).
    pub forwarded_for: Option<String>,
}

impl Browser {
    /// A browser for the portal at `base` (`http://127.0.0.1:PORT`), posting with that Origin.
    pub fn at(base: &str) -> Self {
        ketenpost_adapters::tls::install_crypto_provider();
        Self {
            base: base.to_owned(),
            cookies: BTreeMap::new(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            origin: Some(base.to_owned()),
            forwarded_for: None,
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
        let headers = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let location = headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.text().await.unwrap();
        Page {
            status,
            location,
            set_cookies,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut request = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header());
        if let Some(forwarded) = &self.forwarded_for {
            request = request.header("x-forwarded-for", forwarded);
        }
        let response = request.send().await.unwrap();
        self.finish(response).await
    }

    /// Posts `fields` with the CSRF cookie's token (unless `csrf` says otherwise).
    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> Page {
        let own = self
            .cookies
            .iter()
            .find(|(name, _)| name.ends_with("ketenpost-csrf"))
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        form.push(("csrf".into(), csrf.map_or(own, str::to_owned)));
        let body = serde_urlencoded::to_string(&form).unwrap();
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(origin) = &self.origin {
            request = request.header("origin", origin);
        }
        if let Some(forwarded) = &self.forwarded_for {
            request = request.header("x-forwarded-for", forwarded);
        }
        let response = request.send().await.unwrap();
        self.finish(response).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, None).await
    }

    /// Logs in with the password and then `code`; the last page.
    pub async fn login(&mut self, email: &str, password: &str, code: &str) -> Page {
        self.get("/inloggen").await;
        let page = self
            .post("/inloggen", &[("email", email), ("wachtwoord", password)])
            .await;
        if page.location != "/inloggen/code" {
            return page;
        }
        self.post("/inloggen/code", &[("code", code)]).await
    }
}
