//! Facts about the application itself that several layers must agree on.

/// The reverse-DNS identifier; also the Tauri `identifier` and the keyring namespace.
pub const APP_ID: &str = "dev.astroidentity.app";

/// The name people see in window titles, menus and keyring prompts.
pub const PRODUCT_NAME: &str = "Astro Identity";
