//! The keyring store against a real Secret Service: a private D-Bus session with an
//! unlocked gnome-keyring-daemon, checked independently with libsecret's `secret-tool`.

use astro_identity_cloud::{CloudError, SecretStore};
use astro_identity_domain::Sensitive;
use astro_identity_domain::secret_key::{ProfileName, Provider, SecretKey};
use astro_identity_tests::{Desktop, Error};

fn key(provider: Provider, profile: &str) -> SecretKey {
    SecretKey::new(provider, ProfileName::parse(profile).expect("valid profile"))
}

fn secret_tool(desktop: &Desktop, args: &[&str]) -> Result<String, Error> {
    desktop.secret_tool(args)
}

#[test]
fn stores_reads_lists_and_deletes_on_a_real_secret_service() -> Result<(), Error> {
    let desktop = Desktop::start()?;
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    unsafe { desktop.export_to_process() };
    let store = SecretStore::open_os()?;
    let aws = key(Provider::Aws, "prod");
    let gcp = key(Provider::Gcp, "analytics");

    assert_eq!(store.list()?, []);
    store.put(&aws, &Sensitive::new("AKIDEXAMPLE:wJalrXUtnFEMI".into()))?;
    store.put(&gcp, &Sensitive::new(r#"{"type":"service_account"}"#.into()))?;

    // What the daemon holds, read by another client: our namespaced service and account.
    let looked_up = secret_tool(
        &desktop,
        &["lookup", "service", "dev.astroidentity.app:aws:prod", "username", "credentials"],
    )?;
    assert_eq!(looked_up, "AKIDEXAMPLE:wJalrXUtnFEMI");

    assert_eq!(store.get(&aws)?.map(Sensitive::into_inner).as_deref(), Some("AKIDEXAMPLE:wJalrXUtnFEMI"));
    assert_eq!(store.list()?, [aws.clone(), gcp.clone()]);

    // A second store (a second app start) sees the same secrets.
    assert_eq!(SecretStore::open_os()?.list()?, [aws.clone(), gcp.clone()]);

    assert!(store.delete(&aws)?);
    assert!(!store.delete(&aws)?);
    assert_eq!(store.get(&aws)?.map(Sensitive::into_inner), None);
    assert_eq!(store.list()?, [gcp]);
    let gone = secret_tool(
        &desktop,
        &["lookup", "service", "dev.astroidentity.app:aws:prod", "username", "credentials"],
    )?;
    assert_eq!(gone, "");
    Ok(())
}

#[test]
fn says_plainly_when_no_keyring_is_running() -> Result<(), Error> {
    let desktop = Desktop::start_without_keyring()?;
    // SAFETY: first thing in this test's own process (nextest), before any thread starts.
    unsafe { desktop.export_to_process() };
    match SecretStore::open_os().and_then(|store| store.list()) {
        Err(err @ CloudError::KeyringUnavailable { .. }) => {
            assert!(err.to_string().starts_with("no OS keyring is running"), "{err}");
            assert_eq!(err.code(), "keyring_unavailable");
            Ok(())
        }
        other => Err(format!("expected KeyringUnavailable, got {other:?}").into()),
    }
}
