//! A small IAM Identity Center portal: `GetRoleCredentials` (`GET /federation/credentials`)
//! as aws-sdk-sso sends it, reached through the SDK's standard endpoint override (a
//! `[services]` section's `sso = endpoint_url = …`, or `AWS_ENDPOINT_URL_SSO`). It answers
//! with temporary credentials for an access token it knows (one `aws sso login` wrote to
//! `~/.aws/sso/cache/`), and `401 UnauthorizedException` for any other, as the portal does
//! for an expired or signed-out session.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::Error;
use crate::fake_server::{lock, serve_on_loopback};

/// One `GetRoleCredentials` call as the portal saw it.
#[derive(Debug, Clone)]
pub struct PortalCall {
    pub account_id: String,
    pub role_name: String,
    pub token: String,
}

#[derive(Default)]
struct State {
    tokens: HashSet<String>,
    calls: Vec<PortalCall>,
}

pub struct SsoPortal {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl SsoPortal {
    pub fn start() -> Result<Self, Error> {
        let (url, state) = serve_on_loopback(State::default(), serve)?;
        Ok(Self { url, state })
    }

    /// The portal accepts this access token (a live `aws sso login` session).
    pub fn accept(&self, token: &str) {
        lock(&self.state).tokens.insert(token.to_owned());
    }

    pub fn calls(&self) -> Vec<PortalCall> {
        lock(&self.state).calls.clone()
    }
}

/// The token file `aws sso login` writes: `~/.aws/sso/cache/<sha1 of the session name, or of
/// the start URL for legacy profiles>.json`; `expires_in_secs` may be negative (expired).
pub fn write_cached_token(
    home: &std::path::Path,
    session_or_start_url: &str,
    token: &str,
    start_url: &str,
    expires_in_secs: i64,
) -> Result<(), Error> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let expires = time_rfc3339(now + expires_in_secs);
    let dir = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&dir)?;
    let file =
        json!({"accessToken": token, "expiresAt": expires, "region": "us-east-1", "startUrl": start_url});
    let digest = <sha1::Sha1 as sha1::Digest>::digest(session_or_start_url.as_bytes());
    let name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(dir.join(format!("{name}.json")), file.to_string())?;
    Ok(())
}

/// `2026-12-06T10:00:00Z` for a Unix time, without a date library.
fn time_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let mut token = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("x-amz-sso_bearer_token")
        {
            token = value.trim().to_owned();
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let param = |name: &str| {
        query.split('&').find_map(|p| p.strip_prefix(&format!("{name}="))).unwrap_or_default().to_owned()
    };
    let (status, error_type, body) = if path != "/federation/credentials" {
        (404, "ResourceNotFoundException", json!({"message": format!("no such path {path}")}))
    } else {
        let mut state = lock(state);
        let call = PortalCall {
            account_id: param("account_id"),
            role_name: param("role_name"),
            token: token.clone(),
        };
        state.calls.push(call.clone());
        if state.tokens.contains(&token) {
            let expiration = (SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
                + 3_600_000) as u64;
            let n = state.calls.len();
            let credentials = json!({"roleCredentials": {
                "accessKeyId": format!("ASIASSOFAKE{n:09}"),
                "secretAccessKey": format!("sso-fake-secret-{n}"),
                "sessionToken": format!("sso-fake-session-{n}"),
                "expiration": expiration,
            }});
            (200, "", credentials)
        } else {
            (401, "UnauthorizedException", json!({"message": "Session token not found or invalid"}))
        }
    };
    let text = body.to_string();
    let error_header =
        if error_type.is_empty() { String::new() } else { format!("x-amzn-errortype: {error_type}\r\n") };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{error_header}content-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = writer.write_all(response.as_bytes());
}
