//! A local fake of the Astro API v1 environment-objects endpoints (Environment Manager
//! connections), following the documented shapes (see `astro_api.rs` in the cloud crate):
//! - `GET /v1/organizations/{org}/environment-objects?objectType&objectKey&deploymentId&workspaceId&offset&limit`
//!   → `{environmentObjects, offset, limit, totalCount}` (default limit 20);
//! - `POST …/environment-objects` `{objectKey, objectType, scope, scopeEntityId, connection}` → `{id}`;
//! - `GET` / `POST` (update) / `DELETE` `…/environment-objects/{id}`.
//!
//! It checks the bearer token (401 otherwise), the organization (403), the required fields,
//! `objectType` CONNECTION, `scope` DEPLOYMENT|WORKSPACE and that `connection.extra` is an
//! object (400 `{message, requestId, statusCode}`). Answers never carry the password or a
//! secret Extra value (keys named like secrets); `setFields` lists them. Updates behave as
//! Astro's CLI describes the platform: host, login, schema, port, links, exclusions and the
//! auto-link flag are stored as sent (left out = cleared), the password and secret Extra
//! values are kept when left out. Every request is recorded.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

use crate::Error;
use crate::fake_server::{lock, serve_on_loopback};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct AstroRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// Extra keys the fake treats as secret fields.
const SECRET_PARTS: [&str; 5] = ["secret", "password", "private_key", "api_key", "access_token"];

fn is_secret(key: &str) -> bool {
    let key = key.to_lowercase();
    SECRET_PARTS.iter().any(|part| key.contains(part))
}

#[derive(Default)]
struct State {
    /// Each token and the organizations it may read.
    tokens: Vec<(String, Vec<String>)>,
    organizations: Vec<Value>,
    workspaces: Vec<Value>,
    deployments: Vec<Value>,
    /// Answers to give instead of the real ones, in order: status and `Retry-After`.
    faults: std::collections::VecDeque<(u16, Option<u64>)>,
    /// Stored objects, secrets included, in creation order.
    objects: Vec<Value>,
    next_id: u32,
    seen: Vec<AstroRequest>,
}

/// The fake, serving on a free loopback port until the test process ends.
pub struct AstroFake {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl AstroFake {
    /// Accepts only `Authorization: Bearer <token>` for `organization`.
    pub fn start(organization: &str, token: &str) -> Result<Self, Error> {
        let (url, state) = serve_on_loopback(
            State {
                tokens: vec![(token.to_owned(), vec![organization.to_owned()])],
                organizations: vec![json!({"id": organization, "name": format!("Org {organization}")})],
                ..State::default()
            },
            serve,
        )?;
        Ok(Self { url, state })
    }

    /// Stores an object as is (secrets included) and returns its id.
    pub fn seed(&self, mut object: Value) -> String {
        let mut state = lock(&self.state);
        state.next_id += 1;
        let id = format!("clenvobj{:04}", state.next_id);
        object["id"] = json!(id);
        state.objects.push(object);
        id
    }

    /// The stored object, secrets included.
    pub fn object(&self, id: &str) -> Option<Value> {
        lock(&self.state).objects.iter().find(|o| o["id"] == id).cloned()
    }

    pub fn objects(&self) -> Vec<Value> {
        lock(&self.state).objects.clone()
    }

    /// Changes a stored object behind the app's back.
    pub fn edit(&self, id: &str, change: impl FnOnce(&mut Value)) {
        if let Some(object) = lock(&self.state).objects.iter_mut().find(|o| o["id"] == id) {
            change(object);
        }
    }

    /// Another organization, readable with `token` (a token of its own, or a token that
    /// already sees other organizations).
    pub fn add_organization(&self, id: &str, name: &str, token: &str) {
        let mut state = lock(&self.state);
        state.organizations.retain(|o| o["id"] != id);
        state.organizations.push(json!({"id": id, "name": name}));
        match state.tokens.iter_mut().find(|(t, _)| t == token) {
            Some((_, orgs)) => orgs.push(id.to_owned()),
            None => state.tokens.push((token.to_owned(), vec![id.to_owned()])),
        }
    }

    pub fn add_workspace(&self, organization: &str, id: &str, name: &str) {
        lock(&self.state).workspaces.push(json!({"id": id, "name": name, "organizationId": organization}));
    }

    /// Stores a Deployment as the API returns it (`organizationId` says whose it is).
    pub fn add_deployment(&self, deployment: Value) {
        lock(&self.state).deployments.push(deployment);
    }

    /// The next `times` answers are `status` (with `Retry-After: retry_after` if given).
    pub fn fail_next(&self, status: u16, retry_after: Option<u64>, times: usize) {
        let mut state = lock(&self.state);
        for _ in 0..times {
            state.faults.push_back((status, retry_after));
        }
    }

    /// Changes a stored Deployment behind the app's back.
    pub fn edit_deployment(&self, id: &str, change: impl FnOnce(&mut Value)) {
        if let Some(deployment) = lock(&self.state).deployments.iter_mut().find(|d| d["id"] == id) {
            change(deployment);
        }
    }

    /// A stored Deployment as kept (secret values included).
    pub fn stored_deployment(&self, id: &str) -> Option<Value> {
        find_deployment(&lock(&self.state), id).cloned()
    }

    pub fn seen(&self) -> Vec<AstroRequest> {
        lock(&self.state).seen.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let fault = lock(state).faults.pop_front();
        let (status, body, retry_after) = match fault {
            Some((status, retry_after)) => {
                lock(state).seen.push(request);
                let (status, body) = error(status, "injected fault");
                (status, body, retry_after)
            }
            None => {
                let (status, body) = handle(state, request);
                (status, body, None)
            }
        };
        let text = if status == 204 { String::new() } else { body.to_string() };
        let extra = retry_after.map(|s| format!("retry-after: {s}\r\n")).unwrap_or_default();
        let response = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\n\r\n{text}",
            if status < 300 { "OK" } else { "Error" },
            text.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<AstroRequest> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut length = 0usize;
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
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some(AstroRequest { method, path: path.to_owned(), query: query.to_owned(), authorization, body })
}

fn error(status: u16, message: &str) -> (u16, Value) {
    (status, json!({"message": message, "requestId": "req-fake-0001", "statusCode": status}))
}

fn decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok())
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every value of a repeated query key, e.g. `workspaceIds=a&workspaceIds=b`.
fn query_all(query: &str, key: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| decode(k) == key)
        .map(|(_, v)| decode(v))
        .collect()
}

fn query_map(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| pair.split_once('=').map(|(k, v)| (decode(k), decode(v))))
        .collect()
}

fn handle(state: &Mutex<State>, request: AstroRequest) -> (u16, Value) {
    let mut state = lock(state);
    state.seen.push(request.clone());
    let token = request.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    let Some(allowed) = state.tokens.iter().find(|(t, _)| t == token).map(|(_, orgs)| orgs.clone()) else {
        return error(401, "Unauthorized");
    };
    if request.path == "/v1/organizations" && request.method == "GET" {
        let visible: Vec<Value> = state
            .organizations
            .iter()
            .filter(|o| allowed.iter().any(|a| o["id"] == a.as_str()))
            .cloned()
            .collect();
        return paged(&visible, "organizations", &query_map(&request.query));
    }
    let Some(rest) = request.path.strip_prefix("/v1/organizations/") else {
        return error(404, "no such endpoint");
    };
    let mut segments = rest.split('/');
    let organization = segments.next().unwrap_or_default().to_owned();
    if !allowed.contains(&organization) {
        return error(403, &format!("the token cannot access organization {organization}"));
    }
    match segments.next() {
        Some("environment-objects") => {}
        Some("workspaces") if request.method == "GET" => {
            let own: Vec<Value> = state
                .workspaces
                .iter()
                .filter(|w| w["organizationId"] == organization.as_str())
                .cloned()
                .collect();
            return paged(&own, "workspaces", &query_map(&request.query));
        }
        Some("deployments") if request.method == "GET" => {
            return deployments(&state, &organization, segments.next(), &request.query);
        }
        Some("deployments") if request.method == "POST" => {
            let Some(id) = segments.next().map(str::to_owned) else {
                return error(405, "creating Deployments is not faked");
            };
            return update_deployment(&mut state, &organization, &id, &request.body);
        }
        _ => return error(404, "no such endpoint"),
    }
    let id = segments.next().map(str::to_owned);
    if segments.next().is_some() {
        return error(404, "no such endpoint");
    }
    let query = query_map(&request.query);
    match (request.method.as_str(), id) {
        ("GET", None) => list(&state, &query),
        ("POST", None) => create(&mut state, &request.body),
        ("GET", Some(id)) => match state.objects.iter().find(|o| o["id"] == id.as_str()) {
            Some(object) => (200, render(object)),
            None => error(404, "environment object not found"),
        },
        ("POST", Some(id)) => update(&mut state, &id, &request.body),
        ("DELETE", Some(id)) => {
            let before = state.objects.len();
            state.objects.retain(|o| o["id"] != id.as_str());
            if state.objects.len() < before {
                (204, Value::Null)
            } else {
                error(404, "environment object not found")
            }
        }
        _ => error(405, "method not allowed"),
    }
}

/// `items` from `offset`, `limit` of them (default 20), under `key`.
fn paged(items: &[Value], key: &str, query: &HashMap<String, String>) -> (u16, Value) {
    let offset: usize = query.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let limit: usize = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
    if limit == 0 || limit > 1000 {
        return error(400, "limit must be between 1 and 1000");
    }
    let page: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
    (200, json!({key: page, "offset": offset, "limit": limit, "totalCount": items.len()}))
}

fn deployments(state: &State, organization: &str, id: Option<&str>, query: &str) -> (u16, Value) {
    let own = state.deployments.iter().filter(|d| d["organizationId"] == organization);
    if let Some(id) = id {
        return match own.clone().find(|d| d["id"] == id) {
            Some(deployment) => (200, render_deployment(deployment)),
            None => error(404, &format!("deployment {id} not found")),
        };
    }
    let workspaces = query_all(query, "workspaceIds");
    let ids = query_all(query, "deploymentIds");
    let selected: Vec<Value> = own
        .filter(|d| workspaces.is_empty() || workspaces.iter().any(|w| d["workspaceId"] == w.as_str()))
        .filter(|d| ids.is_empty() || ids.iter().any(|i| d["id"] == i.as_str()))
        .map(render_deployment)
        .collect();
    paged(&selected, "deployments", &query_map(query))
}

/// A Deployment as the API answers it: secret variables without their values.
fn render_deployment(deployment: &Value) -> Value {
    let mut out = deployment.clone();
    if let Some(variables) = out.get_mut("environmentVariables").and_then(Value::as_array_mut) {
        for variable in variables.iter_mut().filter(|v| v["isSecret"] == true) {
            if let Some(map) = variable.as_object_mut() {
                map.remove("value");
            }
        }
    }
    out
}

/// The whole-Deployment update as Astro's CLI relies on it: required fields checked (400
/// naming the first missing one), the fields sent stored as sent and optional ones left out
/// cleared, variables left out deleted, a secret sent without a value keeping its value,
/// `workloadIdentity` left out keeping the current one.
fn update_deployment(state: &mut State, organization: &str, id: &str, body: &Value) -> (u16, Value) {
    let Some(stored) =
        state.deployments.iter_mut().find(|d| d["organizationId"] == organization && d["id"] == id)
    else {
        return error(404, &format!("deployment {id} not found"));
    };
    let kind = stored["type"].as_str().unwrap_or("STANDARD").to_owned();
    let mut required = vec![
        "name",
        "workspaceId",
        "executor",
        "isCicdEnforced",
        "isDagDeployEnabled",
        "type",
        "environmentVariables",
    ];
    let optional: &[&str] = if kind == "HYBRID" {
        required.push("scheduler");
        &["description", "contactEmails", "workerQueues", "taskPodNodePoolId"]
    } else {
        required.extend(["isHighAvailability", "schedulerSize"]);
        &[
            "description",
            "contactEmails",
            "workerQueues",
            "isDevelopmentMode",
            "defaultTaskPodCpu",
            "defaultTaskPodMemory",
            "resourceQuotaCpu",
            "resourceQuotaMemory",
            "scalingSpec",
        ]
    };
    if let Some(field) = required.iter().find(|f| body.get(**f).is_none_or(Value::is_null)) {
        return error(400, &format!("{field} is required"));
    }
    if body["type"] != stored["type"] {
        return error(400, "type cannot be changed");
    }
    let old_variables = stored["environmentVariables"].as_array().cloned().unwrap_or_default();
    let variables: Vec<Value> = body["environmentVariables"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|sent| {
            let mut out = json!({"key": sent["key"], "isSecret": sent["isSecret"], "updatedAt": "2026-12-05T00:00:00Z"});
            match sent.get("value") {
                Some(value) => out["value"] = value.clone(),
                None => {
                    if let Some(old) = old_variables.iter().find(|o| o["key"] == sent["key"] && sent["isSecret"] == true) {
                        out["value"] = old["value"].clone();
                    }
                }
            }
            out
        })
        .collect();
    for field in required.iter().filter(|f| **f != "environmentVariables" && **f != "scheduler") {
        stored[*field] = body[*field].clone();
    }
    if kind == "HYBRID" {
        stored["schedulerAu"] = body["scheduler"]["au"].clone();
        stored["schedulerReplicas"] = body["scheduler"]["replicas"].clone();
    }
    stored["environmentVariables"] = Value::Array(variables);
    for field in optional {
        match body.get(*field) {
            Some(value) if *field == "workerQueues" => {
                // Read-only queue fields (pod sizes) follow the machine; the rest as sent.
                let old = stored["workerQueues"].as_array().cloned().unwrap_or_default();
                let queues: Vec<Value> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|q| {
                        let mut out =
                            old.iter().find(|o| o["id"] == q["id"]).cloned().unwrap_or_else(|| json!({}));
                        for (key, v) in q.as_object().into_iter().flatten() {
                            out[key] = v.clone();
                        }
                        out
                    })
                    .collect();
                stored["workerQueues"] = Value::Array(queues);
            }
            Some(value) => stored[*field] = value.clone(),
            None => {
                if let Some(map) = stored.as_object_mut() {
                    map.remove(*field);
                }
            }
        }
    }
    match body.get("remoteExecution") {
        Some(remote) => stored["remoteExecution"] = remote.clone(),
        None if stored["remoteExecution"]["enabled"] == true => {
            stored["remoteExecution"] = json!({"enabled": false});
        }
        None => {}
    }
    if let Some(identity) = body.get("workloadIdentity").and_then(Value::as_str) {
        stored["effectiveWorkloadIdentity"] = json!(identity);
    }
    (200, render_deployment(stored))
}

/// The stored Deployment, secrets included.
fn find_deployment<'a>(state: &'a State, id: &str) -> Option<&'a Value> {
    state.deployments.iter().find(|d| d["id"] == id)
}

/// The object as the API answers it: no password, no secret Extra value; `setFields`.
fn render(object: &Value) -> Value {
    let mut out = object.clone();
    let mut set_fields = Vec::new();
    if let Some(connection) = out.get_mut("connection").and_then(Value::as_object_mut) {
        for key in ["host", "login", "password", "schema", "port"] {
            if connection.get(key).is_some_and(|v| !v.is_null()) {
                set_fields.push(json!(key));
            }
        }
        connection.remove("password");
        if let Some(extra) = connection.get_mut("extra").and_then(Value::as_object_mut) {
            for key in extra.keys() {
                set_fields.push(json!(format!("extra.{key}")));
            }
            extra.retain(|key, _| !is_secret(key));
        }
    }
    out["setFields"] = Value::Array(set_fields);
    out
}

fn list(state: &State, query: &HashMap<String, String>) -> (u16, Value) {
    if let Some(kind) = query.get("objectType")
        && !matches!(
            kind.as_str(),
            "CONNECTION" | "AIRFLOW_VARIABLE" | "METRICS_EXPORT" | "ENVIRONMENT_VARIABLE"
        )
    {
        return error(400, &format!("invalid objectType {kind}"));
    }
    let matching: Vec<&Value> = state
        .objects
        .iter()
        .filter(|o| query.get("objectType").is_none_or(|t| o["objectType"] == t.as_str()))
        .filter(|o| query.get("objectKey").is_none_or(|k| o["objectKey"] == k.as_str()))
        .filter(|o| {
            query
                .get("deploymentId")
                .is_none_or(|d| o["scope"] == "DEPLOYMENT" && o["scopeEntityId"] == d.as_str())
        })
        .filter(|o| {
            query
                .get("workspaceId")
                .is_none_or(|w| o["scope"] == "WORKSPACE" && o["scopeEntityId"] == w.as_str())
        })
        .collect();
    let offset: usize = query.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let limit: usize = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
    let page: Vec<Value> = matching.iter().skip(offset).take(limit).map(|o| render(o)).collect();
    (200, json!({"environmentObjects": page, "offset": offset, "limit": limit, "totalCount": matching.len()}))
}

fn check_connection(connection: &Value) -> Result<(), (u16, Value)> {
    let Some(connection) = connection.as_object() else {
        return Err(error(400, "connection is required for objectType CONNECTION"));
    };
    if connection.get("type").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(error(400, "connection.type is required"));
    }
    if connection.get("extra").is_some_and(|e| !e.is_object()) {
        return Err(error(400, "connection.extra must be an object"));
    }
    Ok(())
}

fn create(state: &mut State, body: &Value) -> (u16, Value) {
    let key = body["objectKey"].as_str().unwrap_or_default();
    let entity = body["scopeEntityId"].as_str().unwrap_or_default();
    if key.is_empty() || entity.is_empty() {
        return error(400, "objectKey and scopeEntityId are required");
    }
    if body["objectType"] != "CONNECTION" {
        return error(400, "this fake only creates objectType CONNECTION");
    }
    if !matches!(body["scope"].as_str(), Some("DEPLOYMENT" | "WORKSPACE")) {
        return error(400, "scope must be DEPLOYMENT or WORKSPACE");
    }
    if let Err(answer) = check_connection(&body["connection"]) {
        return answer;
    }
    if state
        .objects
        .iter()
        .any(|o| o["objectKey"] == key && o["scope"] == body["scope"] && o["scopeEntityId"] == entity)
    {
        return error(409, &format!("an environment object with key {key} already exists"));
    }
    state.next_id += 1;
    let id = format!("clenvobj{:04}", state.next_id);
    let mut object = body.clone();
    object["id"] = json!(id);
    state.objects.push(object);
    (200, json!({"id": id}))
}

fn update(state: &mut State, id: &str, body: &Value) -> (u16, Value) {
    let Some(object) = state.objects.iter_mut().find(|o| o["id"] == id) else {
        return error(404, "environment object not found");
    };
    if let Err(answer) = check_connection(&body["connection"]) {
        return answer;
    }
    let old = object["connection"].clone();
    let sent = &body["connection"];
    let mut connection = Map::new();
    for key in ["type", "host", "login", "schema", "port", "authTypeId"] {
        if let Some(value) = sent.get(key).filter(|v| !v.is_null()) {
            connection.insert(key.into(), value.clone());
        }
    }
    match sent.get("password").filter(|v| !v.is_null()) {
        Some(password) => connection.insert("password".into(), password.clone()),
        None => old.get("password").cloned().map(|p| connection.insert("password".into(), p)).unwrap_or(None),
    };
    let mut extra = sent.get("extra").and_then(Value::as_object).cloned().unwrap_or_default();
    for (key, value) in old["extra"].as_object().into_iter().flatten() {
        if is_secret(key) && !extra.contains_key(key) {
            extra.insert(key.clone(), value.clone());
        }
    }
    connection.insert("extra".into(), Value::Object(extra));
    object["connection"] = Value::Object(connection);
    if object["scope"] == "WORKSPACE" {
        for key in ["links", "excludeLinks", "autoLinkDeployments"] {
            match body.get(key) {
                // A link is sent with `overrides.connection` and read with `connectionOverrides`.
                Some(Value::Array(links)) if key == "links" => {
                    let stored: Vec<Value> = links
                        .iter()
                        .map(|link| {
                            let mut out =
                                json!({"scope": link["scope"], "scopeEntityId": link["scopeEntityId"]});
                            if let Some(overrides) = link["overrides"].get("connection") {
                                out["connectionOverrides"] = overrides.clone();
                            }
                            out
                        })
                        .collect();
                    object[key] = Value::Array(stored);
                }
                Some(value) => object[key] = value.clone(),
                None => {
                    if let Some(map) = object.as_object_mut() {
                        map.remove(key);
                    }
                }
            }
        }
    }
    (200, render(object))
}

/// A Deployment as the v1 API returns it: `cloud` `AWS`, `GCP` or `AZURE`; the identity is
/// Astro's default for its namespace (`astro-<namespace>`), or none for `AZURE`.
pub fn deployment(organization: &str, workspace: &str, id: &str, name: &str, cloud: &str) -> Value {
    let namespace =
        format!("{}-{}", name.to_lowercase().replace(' ', "-"), &id[id.len().saturating_sub(4)..]);
    let identity = match cloud {
        "AWS" => Some(format!("arn:aws:iam::123456789012:role/astro-{namespace}")),
        "GCP" => Some(format!("astro-{namespace}@astronomer-prod.iam.gserviceaccount.com")),
        _ => None,
    };
    let region = match cloud {
        "AWS" => "us-east-1",
        "GCP" => "us-central1",
        _ => "westus2",
    };
    let mut value = json!({
        "id": id, "name": name, "organizationId": organization, "workspaceId": workspace,
        "namespace": namespace, "cloudProvider": cloud, "region": region,
        "clusterId": format!("clcluster{}", cloud.to_lowercase()), "clusterName": format!("{} cluster", cloud),
        "status": "HEALTHY", "type": "STANDARD", "executor": "CELERY", "runtimeVersion": "13.1.0",
        "oidcIssuerUrl": format!("https://oidc.astronomer.io/{}", cloud.to_lowercase()),
        "environmentVariables": [
            {"key": "SECRET_KEY", "isSecret": true, "value": "s3cr3t-value", "updatedAt": "2026-01-01T00:00:00Z"},
            {"key": "LOG_LEVEL", "isSecret": false, "value": "INFO", "updatedAt": "2026-01-01T00:00:00Z"}
        ],
        "isCicdEnforced": false, "isDagDeployEnabled": true, "isHighAvailability": false, "isDevelopmentMode": false,
        "schedulerSize": "SMALL", "description": format!("{name} pipelines"), "contactEmails": ["data@example.com"],
        "defaultTaskPodCpu": "0.25", "defaultTaskPodMemory": "0.5Gi", "resourceQuotaCpu": "10", "resourceQuotaMemory": "20Gi",
        "workerQueues": [{"id": format!("clq{id}"), "name": "default", "isDefault": true, "astroMachine": "A5",
            "maxWorkerCount": 10, "minWorkerCount": 0, "workerConcurrency": 5, "podCpu": "1", "podMemory": "2Gi"}],
        "remoteExecution": {"enabled": false},
        "webServerUrl": format!("https://example.astronomer.run/{namespace}")
    });
    if let Some(identity) = identity {
        value["effectiveWorkloadIdentity"] = json!(identity);
    }
    value
}
