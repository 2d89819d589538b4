//! The daemon's configuration as its tests' set-up writes it: sealed secrets, and keys that are
//! missing or out of range named in the error.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::time::Duration;

use harness::{letter, wait_for_processed, Harness, ACCOUNT, GP, KNOWN};
use ketenpost::config;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_secrets_open_with_the_data_key_and_another_key_is_a_config_error() {
    use ketenpost_adapters::event_log::load_or_create_key;
    use ketenpost_adapters::sealed::seal;
    let h = Harness::start("sealed", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let key = load_or_create_key(&h.data().join("data.key")).unwrap();
    let certs = h.dir.join("certs");
    let pem = std::fs::read(certs.join("client.key")).unwrap();
    std::fs::write(certs.join("client.key.sealed"), seal(&key, &pem).unwrap()).unwrap();
    let text = h.edit_config(|text| {
        text.replace(
            "password = \"secret-pw\"",
            &format!("password = \"{}\"", seal(&key, b"secret-pw").unwrap()),
        )
        .replace("client.key\"", "client.key.sealed\"")
    });
    assert!(!text.contains("secret-pw"));

    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 1, Duration::from_secs(20)).await;
    running.stop().await.unwrap();

    // Another data key does not open them: a problem naming the key, not a start.
    let other = h.dir.join("other.key");
    load_or_create_key(&other).unwrap();
    std::fs::write(
        &h.config,
        format!("key_file = \"{}\"\n{text}", other.display()),
    )
    .unwrap();
    let error = config::load(Some(&h.config)).unwrap_err().to_string();
    assert!(error.contains("mailboxes[0].password"), "{error}");
    assert!(error.contains("does not open"), "{error}");
}

#[tokio::test]
async fn a_type_without_visibility_is_a_configuration_error_naming_the_key() {
    let h = Harness::start("novisibility", 0, 2).await;
    let text = std::fs::read_to_string(&h.config).unwrap();
    let broken = text.replacen("right_selection = \"Group\"\n", "", 1);
    std::fs::write(&h.config, broken).unwrap();
    let error = config::load(Some(&h.config)).unwrap_err().to_string();
    assert!(
        error.contains("routes.ons.types.MEDVRI.right_selection is missing"),
        "{error}"
    );
    let text = text.replace("token = \"test-token-0123456789abcdef\"\n", "");
    std::fs::write(&h.config, text).unwrap();
    let error = config::load(Some(&h.config)).unwrap_err().to_string();
    assert!(error.contains("api.token is missing"), "{error}");
    assert!(!error.contains("secret-pw"));

    let https = Harness::start_https("missingca").await;
    let text = std::fs::read_to_string(&https.config).unwrap();
    let broken = text.replacen(
        "certs/ca.crt\"\n[[mailboxes]]",
        "certs/gone.crt\"\n[[mailboxes]]",
        1,
    );
    assert_ne!(
        broken, text,
        "the mailbox's ca_cert line is where the test expects it"
    );
    std::fs::write(&https.config, broken).unwrap();
    let error = config::load(Some(&https.config)).unwrap_err().to_string();
    assert!(
        error.contains("mailboxes[0].ca_cert") && error.contains("gone.crt: no such file"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_limit_out_of_range_is_a_config_error_naming_the_key() {
    let h = Harness::start("size-limit-config", 0, 2).await;
    h.edit_config(|text| {
        text.replacen(
            "route = \"ons\"\n",
            "route = \"ons\"\nmax_message_mib = 0\n",
            1,
        )
    });
    let error = config::load(Some(&h.config)).unwrap_err().to_string();
    assert!(
        error.contains("mailboxes[0].max_message_mib = 0"),
        "{error}"
    );
}
