//! A loopback HTTP/1.1 proxy that injects faults between a client (the app's SDKs, pointed
//! at it as their endpoint) and the real peer (moto, the GCP fake).
//!
//! Rules match a request by method, by a substring of its target (path and query) and by a
//! substring of its body (`Action=UpdateAssumeRolePolicy`, `:setIamPolicy`), and apply to
//! its first `times` matches (or all). The first rule with matches left wins; requests no
//! rule matches pass through. Every request is recorded with what was done to it and, when
//! it reached the peer, the peer's status and body.
//!
//! Faults: an answer of our own (500, 503, AWS `Throttling`, GCP 429 …), a TCP reset before
//! or *after* forwarding (the nasty case: the peer applied the write, the client never heard),
//! a hang before or after forwarding (until the proxy is dropped or [`FaultProxy::release`]),
//! a delay, and a barrier that holds matching requests until `n` of them arrived, to force
//! concurrent writers into read → read → write → write.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::Error;

/// What to do with a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward it unchanged.
    Pass,
    /// Answer it ourselves; the peer never sees it.
    Respond { status: u16, content_type: String, body: String },
    /// Wait, then forward.
    Delay(Duration),
    /// Reset the connection (RST) without forwarding.
    ResetBeforeForward,
    /// Forward, let the peer answer, then reset the connection instead of relaying it.
    ResetAfterForward,
    /// Never answer, never forward.
    HangBeforeForward,
    /// Forward, let the peer answer, then never relay it.
    HangAfterForward,
    /// Hold matching requests until `n` of them are held, then forward them all at once.
    Barrier(usize),
}

impl Fault {
    /// An error status with a short plain-text body (what a load balancer would send).
    pub fn status(status: u16) -> Self {
        Fault::Respond { status, content_type: "text/plain".into(), body: format!("injected {status}") }
    }

    /// IAM's throttling answer, as the query protocol sends it.
    pub fn aws_throttling() -> Self {
        Fault::Respond {
            status: 400,
            content_type: "text/xml".into(),
            body: "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
                   <Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
                   <RequestId>4d5e6f70-fault-proxy-throttling</RequestId></ErrorResponse>"
                .into(),
        }
    }

    /// A Google API error: `google.rpc.Status` JSON with the HTTP `code` and a status name.
    pub fn gcp_status(code: u16, status: &str, message: &str) -> Self {
        Fault::Respond {
            status: code,
            content_type: "application/json; charset=UTF-8".into(),
            body: serde_json::json!({"error": {"code": code, "message": message, "status": status}})
                .to_string(),
        }
    }

    /// Google's quota answer: 429 RESOURCE_EXHAUSTED.
    pub fn gcp_too_many_requests() -> Self {
        Self::gcp_status(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests'")
    }

    fn name(&self) -> String {
        match self {
            Fault::Pass => "pass".into(),
            Fault::Respond { status, .. } => format!("respond {status}"),
            Fault::Delay(d) => format!("delay {}ms", d.as_millis()),
            Fault::ResetBeforeForward => "reset before forwarding".into(),
            Fault::ResetAfterForward => "reset after forwarding".into(),
            Fault::HangBeforeForward => "hang before forwarding".into(),
            Fault::HangAfterForward => "hang after forwarding".into(),
            Fault::Barrier(n) => format!("barrier {n}"),
        }
    }
}

/// Which requests a rule applies to; every part given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    pub method: Option<String>,
    /// A substring of the request target (path and query).
    pub target: Option<String>,
    /// A substring of the body.
    pub body: Option<String>,
}

impl Matcher {
    pub fn any() -> Self {
        Self::default()
    }

    pub fn body(needle: &str) -> Self {
        Self { body: Some(needle.into()), ..Self::default() }
    }

    pub fn target(needle: &str) -> Self {
        Self { target: Some(needle.into()), ..Self::default() }
    }

    /// An AWS query-protocol action: `Action=NAME&` in the form body.
    pub fn aws_action(name: &str) -> Self {
        Self::body(&format!("Action={name}&"))
    }

    pub fn matches(&self, seen: &Seen) -> bool {
        self.method.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(&seen.method))
            && self.target.as_ref().is_none_or(|t| seen.target.contains(t.as_str()))
            && self.body.as_ref().is_none_or(|b| seen.body.contains(b.as_str()))
    }
}

/// One request as the proxy saw it, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub body: String,
    /// The fault applied (`pass` when no rule matched).
    pub fault: String,
    /// True once the peer has the request.
    pub forwarded: bool,
    /// The peer's status and body, once it answered.
    pub upstream_status: Option<u16>,
    pub upstream_body: Option<String>,
}

struct Rule {
    matcher: Matcher,
    fault: Fault,
    /// Matches left; `None`: unlimited.
    left: Option<u32>,
    /// Requests waiting at this rule's barrier, and how many were released.
    held: usize,
    released: bool,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<Seen>,
}

struct Shared {
    upstream: String,
    state: Mutex<State>,
    /// Signalled when a barrier fills, a hang is released, or the proxy stops.
    wake: Condvar,
    stopping: AtomicBool,
    /// Hangs end when this turns true (or at drop).
    released: AtomicBool,
}

/// The proxy, serving until dropped. Point the client at `url`.
pub struct FaultProxy {
    pub url: String,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Proxies to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> Result<Self, Error> {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let shared = Arc::new(Shared {
            upstream,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            released: AtomicBool::new(false),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = accepting.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Ok(Self { url, shared })
    }

    /// Applies `fault` to every request `matcher` matches, from now on.
    pub fn always(&self, matcher: Matcher, fault: Fault) {
        self.add(matcher, fault, None);
    }

    /// Applies `fault` to the next `times` requests `matcher` matches.
    pub fn times(&self, times: u32, matcher: Matcher, fault: Fault) {
        self.add(matcher, fault, Some(times));
    }

    fn add(&self, matcher: Matcher, fault: Fault, left: Option<u32>) {
        lock(&self.shared.state).rules.push(Rule { matcher, fault, left, held: 0, released: false });
    }

    /// Removes every rule (requests already held or hanging stay so until released).
    pub fn clear(&self) {
        lock(&self.shared.state).rules.clear();
    }

    /// Ends every hang: the connections are closed without an answer.
    pub fn release(&self) {
        self.shared.released.store(true, Ordering::SeqCst);
        self.shared.wake.notify_all();
    }

    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.shared.state).seen.clone()
    }

    /// How many requests `matcher` matched so far.
    pub fn count(&self, matcher: &Matcher) -> usize {
        lock(&self.shared.state).seen.iter().filter(|s| matcher.matches(s)).count()
    }

    /// Waits until `check` holds for the requests seen, or `limit` passes.
    pub fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        check: impl Fn(&[Seen]) -> bool,
    ) -> Result<(), Error> {
        let start = Instant::now();
        loop {
            if check(&lock(&self.shared.state).seen) {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err(format!("timed out after {limit:?} waiting for {what}").into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.release();
        // Wake the accept loop so its thread ends.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    match state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A parsed HTTP/1.1 message: start line, headers, body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The message with a `Content-Length` body and none of the hop-by-hop headers.
    fn encode(&self, connection: &str) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (name, value) in &self.headers {
            let hop = ["connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"];
            if !hop.iter().any(|h| name.eq_ignore_ascii_case(h)) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str(&format!("content-length: {}\r\nconnection: {connection}\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Reads one message; `None` at a clean end of the connection. `read_to_end` allows a
/// response without a length (ended by closing).
fn read_message(reader: &mut BufReader<TcpStream>, read_to_end: bool) -> Option<Message> {
    let mut start = String::new();
    if reader.read_line(&mut start).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut message = Message { start: start.trim_end().to_owned(), headers, body: Vec::new() };
    let chunked =
        message.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            message.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = message.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        message.body = vec![0; length];
        reader.read_exact(&mut message.body).ok()?;
    } else if read_to_end {
        reader.read_to_end(&mut message.body).ok()?;
    }
    Some(message)
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_message(&mut reader, false) {
        let mut parts = request.start.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let seen = Seen {
            method,
            target,
            body: String::from_utf8_lossy(&request.body).into_owned(),
            fault: String::new(),
            forwarded: false,
            upstream_status: None,
            upstream_body: None,
        };
        let (index, fault, rule) = {
            let mut state = lock(&shared.state);
            let rule = state.rules.iter().position(|r| r.left != Some(0) && r.matcher.matches(&seen));
            let fault = match rule {
                Some(i) => {
                    let rule = &mut state.rules[i];
                    if let Some(left) = rule.left.as_mut() {
                        *left -= 1;
                    }
                    rule.fault.clone()
                }
                None => Fault::Pass,
            };
            state.seen.push(Seen { fault: fault.name(), ..seen });
            (state.seen.len() - 1, fault, rule)
        };
        let keep_open = match fault {
            Fault::Pass => relay(shared, index, &request, &mut writer, After::Answer),
            Fault::Respond { status, content_type, body } => {
                let response = Message {
                    start: format!("HTTP/1.1 {status} Injected"),
                    headers: vec![("content-type".into(), content_type)],
                    body: body.into_bytes(),
                };
                writer.write_all(&response.encode("keep-alive")).is_ok()
            }
            Fault::Delay(delay) => {
                std::thread::sleep(delay);
                relay(shared, index, &request, &mut writer, After::Answer)
            }
            Fault::ResetBeforeForward => {
                reset(&writer);
                false
            }
            Fault::ResetAfterForward => relay(shared, index, &request, &mut writer, After::Reset),
            Fault::HangBeforeForward => {
                hang(shared);
                false
            }
            Fault::HangAfterForward => relay(shared, index, &request, &mut writer, After::Hang),
            Fault::Barrier(n) => {
                if let Some(rule) = rule {
                    wait_at_barrier(shared, rule, n);
                }
                relay(shared, index, &request, &mut writer, After::Answer)
            }
        };
        if !keep_open {
            return;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    Answer,
    Reset,
    Hang,
}

/// Forwards `request` on a fresh connection to the peer and records its answer; then
/// answers the client, resets, or hangs. True when the client connection stays usable.
fn relay(shared: &Shared, index: usize, request: &Message, writer: &mut TcpStream, after: After) -> bool {
    let response = match forward(shared, request) {
        Ok(response) => response,
        Err(_) => {
            let response = Message {
                start: String::from("HTTP/1.1 502 Bad Gateway"),
                headers: vec![("content-type".into(), "text/plain".into())],
                body: b"fault proxy: the peer did not answer".to_vec(),
            };
            let _ = writer.write_all(&response.encode("close"));
            return false;
        }
    };
    {
        let mut state = lock(&shared.state);
        let seen = &mut state.seen[index];
        seen.forwarded = true;
        seen.upstream_status = response.start.split_whitespace().nth(1).and_then(|s| s.parse().ok());
        seen.upstream_body = Some(String::from_utf8_lossy(&response.body).into_owned());
    }
    match after {
        After::Answer => writer.write_all(&response.encode("keep-alive")).is_ok(),
        After::Reset => {
            reset(writer);
            false
        }
        After::Hang => {
            hang(shared);
            false
        }
    }
}

fn forward(shared: &Shared, request: &Message) -> Result<Message, Error> {
    let upstream = TcpStream::connect(&shared.upstream)?;
    upstream.set_nodelay(true)?;
    let mut up_writer = upstream.try_clone()?;
    up_writer.write_all(&request.encode("close"))?;
    let mut up_reader = BufReader::new(upstream);
    read_message(&mut up_reader, true).ok_or_else(|| "the peer closed without an answer".into())
}

/// Arms a TCP reset (SO_LINGER 0): closing the connection, which the caller does next by
/// returning, sends RST instead of FIN, as a crashed middlebox would.
fn reset(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

/// Blocks until the proxy stops or hangs are released.
fn hang(shared: &Shared) {
    let mut state = lock(&shared.state);
    while !shared.released.load(Ordering::SeqCst) && !shared.stopping.load(Ordering::SeqCst) {
        state = match shared.wake.wait_timeout(state, Duration::from_millis(200)) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
}

fn wait_at_barrier(shared: &Shared, rule: usize, n: usize) {
    let mut state = lock(&shared.state);
    if let Some(r) = state.rules.get_mut(rule) {
        r.held += 1;
        if r.held >= n {
            r.released = true;
            shared.wake.notify_all();
        }
    }
    while !state.rules.get(rule).is_none_or(|r| r.released) && !shared.stopping.load(Ordering::SeqCst) {
        state = match shared.wake.wait_timeout(state, Duration::from_millis(200)) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
}
