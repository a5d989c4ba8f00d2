//! The checked-in TypeScript bindings must be exactly what Rust generates today.
//! Regenerate with `make bindings` (sets UPDATE_BINDINGS=1).

use std::path::PathBuf;

#[test]
fn typescript_bindings_are_up_to_date() {
    let checked_in = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/ipc/bindings.ts");
    let fresh_dir = tempfile::tempdir().expect("tempdir");
    let fresh = fresh_dir.path().join("bindings.ts");
    astro_identity_app::export_bindings(&fresh).expect("export bindings");
    let fresh_text = std::fs::read_to_string(&fresh).expect("read fresh bindings");

    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&checked_in, &fresh_text).expect("write bindings");
        return;
    }
    let current = std::fs::read_to_string(&checked_in).unwrap_or_default();
    assert!(
        current == fresh_text,
        "ui/src/lib/ipc/bindings.ts is stale: run `make bindings` and commit the result"
    );
}
