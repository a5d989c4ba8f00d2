//! What the HTTP fakes here share: a loopback port served one thread per connection for as
//! long as the test runs, and state behind a lock that a panicking thread cannot poison for
//! the others.

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::Error;

/// Serves `state` on a free loopback port, each connection on its own thread through
/// `serve`; the base URL and the shared state.
pub fn serve_on_loopback<S: Send + 'static>(
    state: S,
    serve: fn(TcpStream, &Mutex<S>),
) -> Result<(String, Arc<Mutex<S>>), Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let state = Arc::new(Mutex::new(state));
    let shared = state.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let state = shared.clone();
            std::thread::spawn(move || serve(stream, &state));
        }
    });
    Ok((url, state))
}

/// The state, even if a thread panicked while holding it (the test reports that panic).
pub fn lock<S>(state: &Mutex<S>) -> MutexGuard<'_, S> {
    match state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
