use std::sync::Arc;

use tokio::sync::Mutex;

use astro_identity_cloud::{CloudError, HostEnv, SecretStore};

/// The one piece of managed state.
pub struct AppState {
    pub host: HostEnv,
    /// Opened on first use and kept; a failed open is retried next time, so starting the
    /// desktop keyring after the app works without a restart.
    keyring: Mutex<Option<Arc<SecretStore>>>,
}

impl AppState {
    pub fn from_process() -> Self {
        Self::new(HostEnv::from_process())
    }

    pub fn new(host: HostEnv) -> Self {
        Self { host, keyring: Mutex::new(None) }
    }

    pub async fn keyring(&self) -> Result<Arc<SecretStore>, CloudError> {
        let mut slot = self.keyring.lock().await;
        if let Some(store) = slot.as_ref() {
            return Ok(store.clone());
        }
        let store = SecretStore::open_os_async().await?;
        *slot = Some(store.clone());
        Ok(store)
    }
}
