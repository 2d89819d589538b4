//! The portal serving TLS itself (`[portal] tls_cert`, `tls_key`): pages over https with HSTS,
//! and a plain-http client gets nothing.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::process::free_port;

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_portal_serves_https_with_hsts_from_its_own_certificate() {
    ketenpost_adapters::tls::install_crypto_provider();
    let dir = std::env::temp_dir().join(format!("ketenpost-portal-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = issued.cert.pem();
    std::fs::write(dir.join("portal.crt"), &cert_pem).unwrap();
    std::fs::write(dir.join("portal.key"), issued.signing_key.serialize_pem()).unwrap();
    let port = free_port();
    let config = dir.join("ketenpost.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[api]\nlisten = \"127.0.0.1:{}\"\ntoken = \"0123456789abcdef0123\"\n\
             [portal]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"https://localhost:{port}\"\n\
             tls_cert = {:?}\ntls_key = {:?}\n",
            dir.join("data"),
            free_port(),
            dir.join("portal.crt"),
            dir.join("portal.key"),
        ),
    )
    .unwrap();
    let _daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_ketenpost"))
            .args(["run", "--config", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let until = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "the portal did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .resolve(
            "localhost",
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        )
        .build()
        .unwrap();
    let page = client
        .get(format!("https://localhost:{port}/inloggen"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .headers()
        .get("strict-transport-security")
        .is_some_and(|v| v.to_str().unwrap().contains("max-age=")));
    assert!(page.text().await.unwrap().contains("INLOGGEN"));

    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/inloggen"))
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(
        plain.is_err() || plain.unwrap().status() != 200,
        "no page over plain http"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
