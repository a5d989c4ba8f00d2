//! The baseline: what any Tauri 2 app on WebKitGTK costs before it does anything.

fn main() {
    if let Err(err) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("the hello-world could not start: {err}");
        std::process::exit(1);
    }
}
