//! The domain of Astro Identity: everything that can be decided without touching the
//! network, the file system, the keyring or a window.
//!
//! This crate has no I/O and depends on no SDK so that its tests build and run in seconds
//! on any machine, GTK/WebKit or not.

pub mod airflow;
pub mod app;
pub mod astro;
pub mod aws;
pub mod credentials;
pub mod diff;
pub mod error;
pub mod export;
pub mod gcp;
pub mod inventory;
mod json;
pub mod secret;
pub mod secret_key;

pub use error::DomainError;
pub use secret::Sensitive;
