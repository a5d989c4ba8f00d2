//! A faithful local fake of the Google Cloud REST endpoints the GCP journey uses:
//! Resource Manager v3 `projects.getIamPolicy` / `setIamPolicy` and IAM Admin v1 role listing.
//! No emulator exists for these, so this one follows the wire format in FACTS.md:
//! base64 etags, `409 ABORTED` on a stale etag, version 1 answers when no condition exists,
//! conditions dropped by a version-1 write without an etag (the data loss the app must never
//! cause), `403 PERMISSION_DENIED` for a denied caller or unknown project, `400` past 1,500
//! principals, `$alt` query parameters accepted, TCP_NODELAY on every connection.
//! With [`GcpFake::require_auth`], every call must carry a credential Google would accept
//! (see `gcp_auth`), and `POST /token` is the OAuth token endpoint user credentials refresh at.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::Error;
use crate::fake_server::{lock, serve_on_loopback};
use crate::gcp_auth::Auth;

/// One request as the fake saw it, for wire-format assertions.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub host: String,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct Project {
    /// The stored policy without `etag` and `version` (both computed on the way out).
    policy: Value,
    generation: u64,
}

#[derive(Default)]
struct State {
    projects: HashMap<String, Project>,
    denied: Vec<String>,
    /// (method suffix, HTTP status, remaining count): injected failures.
    faults: Vec<(String, u16, u32)>,
    seen: Vec<SeenRequest>,
    auth: Auth,
}

/// The fake, serving on a free loopback port until dropped (its thread ends with the test).
pub struct GcpFake {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl GcpFake {
    pub fn start() -> Result<Self, Error> {
        let (url, state) = serve_on_loopback(State::default(), serve)?;
        Ok(Self { url, state })
    }

    /// Creates (or replaces) a project with `policy` (a getIamPolicy-shaped JSON object).
    pub fn seed(&self, project: &str, mut policy: Value) {
        if let Some(map) = policy.as_object_mut() {
            map.remove("etag");
            map.remove("version");
        }
        let mut state = lock(&self.state);
        let generation = state.projects.get(project).map_or(1, |p| p.generation + 1);
        state.projects.insert(project.to_owned(), Project { policy, generation });
    }

    /// Creates (or replaces) a service account with `policy` on the account itself.
    pub fn seed_service_account(&self, email: &str, policy: Value) {
        self.seed(&format!("serviceAccounts/{email}"), policy);
    }

    pub fn service_account_policy(&self, email: &str) -> Option<Value> {
        self.policy(&format!("serviceAccounts/{email}"))
    }

    /// The stored policy as getIamPolicy v3 would return it.
    pub fn policy(&self, project: &str) -> Option<Value> {
        let state = lock(&self.state);
        state.projects.get(project).map(|p| render(p, 3))
    }

    /// Every later call on this project answers 403 PERMISSION_DENIED.
    pub fn deny(&self, project: &str) {
        lock(&self.state).denied.push(project.to_owned());
    }

    /// The next `count` requests whose path ends with `suffix` (e.g. `:setIamPolicy`) fail
    /// with `status` (409 → ABORTED, 429, 503 → UNAVAILABLE ...).
    pub fn fail_next(&self, suffix: &str, status: u16, count: u32) {
        lock(&self.state).faults.push((suffix.to_owned(), status, count));
    }

    /// Cancels every injected failure still pending.
    pub fn clear_faults(&self) {
        lock(&self.state).faults.clear();
    }

    pub fn seen(&self) -> Vec<SeenRequest> {
        lock(&self.state).seen.clone()
    }

    /// From now on every API call needs a credential the fake accepts; see `gcp_auth`.
    pub fn require_auth(&self) {
        lock(&self.state).auth.required = true;
    }

    /// Accepts JWTs signed with this service account key (Google's JSON key file); its email.
    pub fn register_key(&self, key_json: &str) -> Result<String, Error> {
        lock(&self.state).auth.register_key(key_json)
    }

    /// The service account is deleted: JWTs from its keys are refused.
    pub fn delete_service_account(&self, email: &str) {
        lock(&self.state).auth.delete_account(email);
    }

    /// A gcloud user: `refresh_token` (in their ADC file) refreshes to tokens acting as `account`.
    pub fn add_user(&self, refresh_token: &str, account: &str) {
        lock(&self.state).auth.add_user(refresh_token, account);
    }

    /// The refresh token expires or is revoked.
    pub fn revoke(&self, refresh_token: &str) {
        lock(&self.state).auth.revoke(refresh_token);
    }

    /// What an ADC file's `token_uri` names to refresh here.
    pub fn token_uri(&self) -> String {
        format!("{}/token", self.url)
    }

    /// Who each accepted API call came from (with `require_auth`).
    pub fn callers(&self) -> Vec<String> {
        lock(&self.state).auth.callers.clone()
    }

    /// Changes the project's policy behind the app's back (a concurrent writer).
    pub fn edit(&self, project: &str, change: impl FnOnce(&mut Value)) {
        let mut state = lock(&self.state);
        if let Some(p) = state.projects.get_mut(project) {
            change(&mut p.policy);
            p.generation += 1;
        }
    }
}

fn etag(generation: u64) -> String {
    STANDARD.encode(generation.to_be_bytes())
}

fn has_conditions(policy: &Value) -> bool {
    policy["bindings"].as_array().is_some_and(|b| b.iter().any(|b| b.get("condition").is_some()))
}

/// The policy as the API returns it: empty fields omitted, version 3 only with conditions.
fn render(project: &Project, _requested: i64) -> Value {
    let mut out = serde_json::Map::new();
    let version = if has_conditions(&project.policy) { 3 } else { 1 };
    out.insert("version".into(), json!(version));
    if let Some(map) = project.policy.as_object() {
        for (k, v) in map {
            let empty = v.as_array().is_some_and(Vec::is_empty);
            if !empty {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out.insert("etag".into(), json!(etag(project.generation)));
    Value::Object(out)
}

fn error(code: u16, status: &str, message: &str) -> (u16, Value) {
    (code, json!({"error": {"code": code, "message": message, "status": status}}))
}

fn status_name(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else { return };
    let mut writer = write_half;
    let mut reader = BufReader::new(stream);
    // Keep-alive: answer requests on this connection until the client closes it.
    while let Some(request) = read_request(&mut reader) {
        let (status, body) = handle(state, request);
        let text = body.to_string();
        let reason = if status == 200 { "OK" } else { "Error" };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<SeenRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut length = 0usize;
    let mut host = String::new();
    let mut authorization = None;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "host" => host = value.trim().to_owned(),
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some(SeenRequest { method, path: path.to_owned(), query: query.to_owned(), host, authorization, body })
}

fn handle(state: &Mutex<State>, request: SeenRequest) -> (u16, Value) {
    let mut state = lock(state);
    state.seen.push(request.clone());
    if request.method == "POST" && request.path == "/token" {
        return state.auth.token(&request.body);
    }
    if state.auth.required
        && let Err(refused) = state.auth.caller(request.authorization.as_deref())
    {
        return refused;
    }
    if let Some(fault) =
        state.faults.iter_mut().find(|(suffix, _, n)| *n > 0 && request.path.ends_with(suffix.as_str()))
    {
        fault.2 -= 1;
        let code = fault.1;
        return error(code, status_name(code), "injected failure");
    }
    let path = request.path.as_str();
    // Project policies (Resource Manager v3, options in the body) and service account
    // policies (IAM v1, options in the query string), stored under one key space.
    let target = if let Some(rest) = path.strip_prefix("/v1/projects/-/serviceAccounts/") {
        rest.split_once(':').map(|(email, verb)| {
            let requested = request
                .query
                .split('&')
                .find_map(|p| p.strip_prefix("options.requestedPolicyVersion="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            (format!("serviceAccounts/{email}"), verb, requested, "iam.serviceAccounts")
        })
    } else if let Some(rest) = path.strip_prefix("/v3/projects/") {
        rest.split_once(':').map(|(project, verb)| {
            let requested = request.body["options"]["requestedPolicyVersion"].as_i64().unwrap_or(0);
            (project.to_owned(), verb, requested, "resourcemanager.projects")
        })
    } else {
        None
    };
    if let Some((key, verb, requested, service)) = target {
        if state.denied.contains(&key) || !state.projects.contains_key(&key) {
            return error(
                403,
                "PERMISSION_DENIED",
                &format!(
                    "The caller does not have permission ({service}.{verb}) on {key}, or it does not exist"
                ),
            );
        }
        return match verb {
            "getIamPolicy" => get_policy(&state, &key, requested),
            "setIamPolicy" => set_policy(&mut state, &key, &request.body),
            _ => error(404, "NOT_FOUND", "unknown method"),
        };
    }
    if path == "/v1/roles:queryGrantableRoles" || path == "/v1/roles" {
        return (
            200,
            json!({"roles": FAKE_ROLES.iter().map(|(name, title)| json!({"name": name, "title": title, "stage": 0})).collect::<Vec<_>>()}),
        );
    }
    error(404, "NOT_FOUND", &format!("no such method {path}"))
}

const FAKE_ROLES: &[(&str, &str)] = &[
    ("roles/bigquery.dataViewer", "BigQuery Data Viewer"),
    ("roles/bigquery.jobUser", "BigQuery Job User"),
    ("roles/storage.objectViewer", "Storage Object Viewer"),
];

fn get_policy(state: &State, project: &str, requested: i64) -> (u16, Value) {
    let stored = &state.projects[project];
    if has_conditions(&stored.policy) && requested < 3 {
        return error(
            400,
            "INVALID_ARGUMENT",
            "The policy has conditions: request it with options.requestedPolicyVersion 3",
        );
    }
    (200, render(stored, requested))
}

fn set_policy(state: &mut State, project: &str, body: &Value) -> (u16, Value) {
    let Some(policy) = body.get("policy").and_then(Value::as_object) else {
        return error(400, "INVALID_ARGUMENT", "policy is required");
    };
    let current = &state.projects[project];
    match policy.get("etag").and_then(Value::as_str) {
        Some(sent) if STANDARD.decode(sent).is_err() => {
            return error(
                400,
                "INVALID_ARGUMENT",
                "Invalid value at 'policy.etag' (TYPE_BYTES), Base64 decoding failed",
            );
        }
        Some(sent) if sent != etag(current.generation) => {
            return error(
                409,
                "ABORTED",
                "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.",
            );
        }
        _ => {}
    }
    let version = policy.get("version").and_then(Value::as_i64).unwrap_or(1);
    let mut bindings = policy.get("bindings").cloned().unwrap_or(json!([]));
    let conditional = bindings.as_array().is_some_and(|b| b.iter().any(|b| b.get("condition").is_some()));
    if conditional && version < 3 {
        return error(400, "INVALID_ARGUMENT", "Bindings with conditions require policy version 3");
    }
    let members: usize = bindings
        .as_array()
        .map_or(0, |b| b.iter().map(|b| b["members"].as_array().map_or(0, Vec::len)).sum());
    if members > 1500 {
        return error(
            400,
            "INVALID_ARGUMENT",
            &format!(
                "The number of members in the policy ({members}) is larger than the maximum allowed size 1500."
            ),
        );
    }
    // A version-1 write without an etag replaces a version-3 policy: its conditions are lost.
    if policy.get("etag").is_none() && version < 3 {
        let stored_had_conditions = has_conditions(&current.policy);
        if stored_had_conditions && let Some(list) = bindings.as_array_mut() {
            for binding in list.iter_mut() {
                if let Some(map) = binding.as_object_mut() {
                    map.remove("condition");
                }
            }
        }
    }
    let mask = body.get("updateMask").and_then(Value::as_str).unwrap_or("bindings,etag");
    let mut stored = current.policy.as_object().cloned().unwrap_or_default();
    stored.insert("bindings".into(), bindings);
    if mask.split(',').any(|f| f.trim() == "auditConfigs") {
        stored.insert("auditConfigs".into(), policy.get("auditConfigs").cloned().unwrap_or(json!([])));
    }
    let generation = current.generation + 1;
    let project_state = Project { policy: Value::Object(stored), generation };
    let rendered = render(&project_state, 3);
    state.projects.insert(project.to_owned(), project_state);
    (200, rendered)
}

/// The members `policy` (a getIamPolicy answer) grants `role` to, across its bindings.
pub fn members_of(policy: &Value, role: &str) -> Vec<String> {
    policy["bindings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["role"] == role)
        .flat_map(|b| b["members"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect()
}
