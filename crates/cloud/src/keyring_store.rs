//! The app's secrets in the OS keyring, and nowhere else.
//!
//! Each secret is one entry whose service is `<app id>:<provider>:<profile>` (see
//! [`SecretKey`]). Not every OS store can search by attribute, so the app also keeps an
//! index entry — the list of keys it holds, no values — in the keyring itself: no file on
//! disk ever names what is stored.
//!
//! One store per OS, each chosen at compile time ([`platform_store`]): the Secret Service
//! over D-Bus on Linux, the login Keychain on macOS, the Credential Manager on Windows.
//! Values are written as UTF-8 bytes (`set_secret`), which is what `set_password` does on
//! Linux and macOS too; on Windows `set_password` would store UTF-16 and halve the room
//! (2,560 bytes per credential), too little for a Google service account key.

use std::collections::BTreeSet;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use astro_identity_domain::Sensitive;
use astro_identity_domain::app::APP_ID;
use astro_identity_domain::secret_key::SecretKey;

use crate::error::CloudError;

const INDEX_ACCOUNT: &str = "index";

pub struct SecretStore {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore").field("vendor", &self.store.vendor()).finish()
    }
}

impl SecretStore {
    /// Connects to the platform's keyring. Blocking: call it off the async runtime's
    /// worker threads (e.g. in `spawn_blocking`).
    pub fn open_os() -> Result<Self, CloudError> {
        Ok(Self { store: platform_store()? })
    }

    /// [`SecretStore::open_os`] from async code.
    pub async fn open_os_async() -> Result<Arc<Self>, CloudError> {
        tokio::task::spawn_blocking(Self::open_os)
            .await
            .map_err(|e| unavailable(format!("the keyring task failed: {e}")))?
            .map(Arc::new)
    }

    /// Uses the given store, e.g. `keyring_core::mock::Store` in unit tests.
    pub fn with_store(store: Arc<CredentialStore>) -> Self {
        Self { store }
    }

    pub fn put(&self, key: &SecretKey, secret: &Sensitive<String>) -> Result<(), CloudError> {
        self.entry(&key.service(), SecretKey::ACCOUNT)?
            .set_secret(secret.expose().as_bytes())
            .map_err(|e| failed("store the secret", e))?;
        let mut index = self.read_index()?;
        if index.insert(key.clone()) {
            self.write_index(&index)?;
        }
        Ok(())
    }

    pub fn get(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, CloudError> {
        match self.entry(&key.service(), SecretKey::ACCOUNT)?.get_secret().and_then(utf8) {
            Ok(secret) => Ok(Some(Sensitive::new(secret))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(failed("read the secret", e)),
        }
    }

    /// Deletes the secret; `false` when there was none.
    pub fn delete(&self, key: &SecretKey) -> Result<bool, CloudError> {
        let existed = match self.entry(&key.service(), SecretKey::ACCOUNT)?.delete_credential() {
            Ok(()) => true,
            Err(KeyringError::NoEntry) => false,
            Err(e) => return Err(failed("delete the secret", e)),
        };
        let mut index = self.read_index()?;
        if index.remove(key) {
            self.write_index(&index)?;
        }
        Ok(existed)
    }

    /// The keys of every secret held, sorted. Entries deleted behind the app's back (say,
    /// in the desktop's password manager) are left out.
    pub fn list(&self) -> Result<Vec<SecretKey>, CloudError> {
        let mut held = Vec::new();
        for key in self.read_index()? {
            match self.entry(&key.service(), SecretKey::ACCOUNT)?.get_attributes() {
                Ok(_) => held.push(key),
                Err(KeyringError::NoEntry) => {}
                Err(e) => return Err(failed("list the secrets", e)),
            }
        }
        Ok(held)
    }

    fn entry(&self, service: &str, account: &str) -> Result<Entry, CloudError> {
        Entry::new_in_store(&self.store, service, account).map_err(|e| failed("open an entry", e))
    }

    fn read_index(&self) -> Result<BTreeSet<SecretKey>, CloudError> {
        match self.entry(APP_ID, INDEX_ACCOUNT)?.get_secret().and_then(utf8) {
            // An unreadable index only loses the listing, never a secret: start afresh.
            Ok(text) => Ok(serde_json::from_str(&text).unwrap_or_default()),
            Err(KeyringError::NoEntry) => Ok(BTreeSet::new()),
            Err(e) => Err(failed("read the list of secrets", e)),
        }
    }

    fn write_index(&self, index: &BTreeSet<SecretKey>) -> Result<(), CloudError> {
        let text = serde_json::to_string(index).map_err(|e| CloudError::Keyring {
            action: "update the list of secrets",
            reason: e.to_string(),
        })?;
        self.entry(APP_ID, INDEX_ACCOUNT)?
            .set_secret(text.as_bytes())
            .map_err(|e| failed("update the list of secrets", e))
    }
}

/// The stored bytes as text; `BadEncoding` (which [`failed`] never prints) otherwise.
fn utf8(bytes: Vec<u8>) -> Result<String, KeyringError> {
    String::from_utf8(bytes).map_err(|e| KeyringError::BadEncoding(e.into_bytes()))
}

/// Keyring errors are mapped by variant, never by `Display` of the data they carry:
/// `BadEncoding` and `BadDataFormat` hold the raw secret bytes.
fn failed(action: &'static str, err: KeyringError) -> CloudError {
    let reason = match err {
        KeyringError::PlatformFailure(e) | KeyringError::NoStorageAccess(e) => e.to_string(),
        KeyringError::NoEntry => String::from("no such entry"),
        KeyringError::BadEncoding(_) => String::from("the stored value is not UTF-8 text"),
        KeyringError::BadDataFormat(_, _) => String::from("the stored value is in an unexpected format"),
        KeyringError::BadStoreFormat(what) => what,
        KeyringError::TooLong(attr, limit) => format!("{attr} is longer than {limit}"),
        KeyringError::Invalid(param, why) => format!("{param} {why}"),
        KeyringError::Ambiguous(entries) => format!("{} entries match", entries.len()),
        KeyringError::NoDefaultStore => return unavailable("no keyring store is configured"),
        KeyringError::NotSupportedByStore(what) => what,
        _ => String::from("unknown keyring error"),
    };
    CloudError::Keyring { action, reason }
}

fn unavailable(reason: impl Into<String>) -> CloudError {
    CloudError::KeyringUnavailable { reason: reason.into() }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, CloudError> {
    let store = zbus_secret_service_keyring_store::Store::new().map_err(|e| match e {
        KeyringError::PlatformFailure(inner) | KeyringError::NoStorageAccess(inner) => {
            unavailable(format!("the Secret Service did not answer on the D-Bus session bus ({inner})"))
        }
        other => failed("connect", other),
    })?;
    Ok(store)
}

/// The user's login keychain (the "legacy" file keychain every app may use; the data
/// protection keychain needs a provisioning profile).
#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, CloudError> {
    let store = apple_native_keyring_store::keychain::Store::new().map_err(|e| failed("connect", e))?;
    Ok(store)
}

/// The Windows Credential Manager: one generic credential per entry, named
/// `<account>.<service>` (the store's default), e.g. `credentials.dev.astroidentity.app:aws:prod`.
#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, CloudError> {
    let store = windows_native_keyring_store::Store::new().map_err(|e| failed("connect", e))?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> Result<Arc<CredentialStore>, CloudError> {
    Err(unavailable(format!("this build has no keyring backend for {}", std::env::consts::OS)))
}

#[cfg(test)]
mod tests {
    use astro_identity_domain::secret_key::{ProfileName, Provider};

    use super::*;

    fn mock() -> SecretStore {
        SecretStore::with_store(keyring_core::mock::Store::new().expect("mock store"))
    }

    fn key(provider: Provider, profile: &str) -> SecretKey {
        SecretKey::new(provider, ProfileName::parse(profile).expect("valid"))
    }

    /// The real store of macOS (Keychain) and Windows (Credential Manager), run by the CI
    /// workflow on those systems; Linux's Secret Service has its own test
    /// (tests/keyring_secret_service.rs) because it needs a session bus and a keyring daemon.
    #[cfg(any(target_os = "macos", target_os = "windows"))]
    #[test]
    fn round_trips_through_the_os_store() {
        let store = SecretStore::open_os().expect("the OS keyring");
        let profile = format!("ci-{}", std::process::id());
        let held = key(Provider::Gcp, &profile);
        store.put(&held, &Sensitive::new("os-store-secret".into())).expect("put");
        assert_eq!(store.get(&held).expect("get").expect("held").expose(), "os-store-secret");
        assert!(store.list().expect("list").contains(&held));
        assert!(store.delete(&held).expect("delete"));
        assert!(store.get(&held).expect("get").is_none());
        assert!(!store.list().expect("list").contains(&held));
    }

    #[test]
    fn put_get_list_delete() {
        let store = mock();
        let aws = key(Provider::Aws, "prod");
        let gcp = key(Provider::Gcp, "analytics");
        assert_eq!(store.list().expect("list"), []);
        assert!(store.get(&aws).expect("get").is_none());

        store.put(&aws, &Sensitive::new("aws-secret".into())).expect("put");
        store.put(&gcp, &Sensitive::new("gcp-secret".into())).expect("put");
        store.put(&aws, &Sensitive::new("aws-secret-2".into())).expect("overwrite");

        assert_eq!(store.get(&aws).expect("get").expect("held").expose(), "aws-secret-2");
        assert_eq!(store.list().expect("list"), [aws.clone(), gcp.clone()]);

        assert!(store.delete(&aws).expect("delete"));
        assert!(!store.delete(&aws).expect("second delete is a no-op"));
        assert!(store.get(&aws).expect("get").is_none());
        assert_eq!(store.list().expect("list"), [gcp]);
    }

    #[test]
    fn entries_deleted_elsewhere_drop_out_of_the_list() {
        let store = mock();
        let aws = key(Provider::Aws, "prod");
        store.put(&aws, &Sensitive::new("x".into())).expect("put");
        Entry::new_in_store(&store.store, &aws.service(), SecretKey::ACCOUNT)
            .expect("entry")
            .delete_credential()
            .expect("delete behind the app's back");
        assert_eq!(store.list().expect("list"), []);
    }

    #[test]
    fn values_are_utf8_bytes_and_other_bytes_are_refused_without_showing_them() {
        let store = mock();
        let aws = key(Provider::Aws, "prod");
        store.put(&aws, &Sensitive::new("clé-secrète".into())).expect("put");
        let entry = Entry::new_in_store(&store.store, &aws.service(), SecretKey::ACCOUNT).expect("entry");
        assert_eq!(entry.get_secret().expect("raw"), "clé-secrète".as_bytes());
        entry.set_secret(&[0xff, 0xfe, b's']).expect("foreign bytes");
        let err = store.get(&aws).expect_err("not UTF-8");
        assert_eq!(
            err.to_string(),
            "the OS keyring refused to read the secret: the stored value is not UTF-8 text"
        );
    }

    #[test]
    fn errors_never_carry_the_secret_bytes() {
        let err = failed("read the secret", KeyringError::BadEncoding(b"hunter2-secret".to_vec()));
        assert_eq!(
            err.to_string(),
            "the OS keyring refused to read the secret: the stored value is not UTF-8 text"
        );
        assert_eq!(err.code(), "keyring_failed");
        let err = failed("connect", KeyringError::NoDefaultStore);
        assert_eq!(err.code(), "keyring_unavailable");
    }
}
