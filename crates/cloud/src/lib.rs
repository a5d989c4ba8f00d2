//! Astro Identity's adapters: everything that touches the outside world — local credential
//! files, the OS keyring, the AWS and Google Cloud SDKs, the Airflow REST API, the Astro
//! API and the Astro project's `requirements.txt`.
//!
//! Decisions live in `astro-identity-domain`; this crate fetches and stores, then hands the
//! domain plain values.

pub mod airflow;
pub mod astro;
pub mod aws;
pub mod aws_profiles;
pub mod backoff;
pub mod batch;
pub mod change;
pub mod deployment_identity;
pub mod detect;
pub mod diagnostics;
pub mod error;
pub mod export;
#[cfg(test)]
mod fakes;
pub mod gcp;
pub mod gcp_adc;
pub mod history;
pub mod host;
mod http;
pub mod inventory;
pub mod journal;
pub mod keyring_store;
pub mod offline;
pub mod settle;
pub mod undo;

pub use detect::detect_credentials;
pub use error::CloudError;
pub use host::HostEnv;
pub use keyring_store::SecretStore;
