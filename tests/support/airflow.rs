//! A real Airflow 3 `api-server` on SQLite, from the virtualenv `make deps` creates
//! (`$ASTRO_IDENTITY_AIRFLOW_VENV`, default `~/.cache/astro-identity/airflow-venv`).
//!
//! Each server gets a throwaway `AIRFLOW_HOME`, the simple auth manager with one `admin`
//! user whose random password sits in `passwords.json`, random JWT and API secrets, and a
//! free loopback port. It runs in its own process group (uvicorn starts children), killed
//! whole on drop — and by a watchdog in that group if the test process dies first.
//! Start one per test binary: `airflow db migrate` plus startup take ~10 s.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::{Error, free_port, wait_until};

/// The running server; its process group is killed on drop.
pub struct AirflowServer {
    // First, so it is dropped (the server stopped) before its home is deleted.
    group: ProcessGroup,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub home: tempfile::TempDir,
    password: String,
    airflow: PathBuf,
    env: Vec<(&'static str, String)>,
}

struct ProcessGroup {
    leader: Child,
    watchdog: Option<Child>,
}

impl ProcessGroup {
    fn pgid(&self) -> u32 {
        self.leader.id()
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.pgid())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Whether any process of the group is still alive.
    fn alive(&self) -> bool {
        Command::new("kill")
            .args(["-0", "--", &format!("-{}", self.pgid())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        // The watchdog ignores TERM; it is not needed any more.
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        self.signal("-TERM");
        let _ = wait_until("the Airflow api-server to stop", Duration::from_secs(10), || {
            let _ = self.leader.try_wait();
            !self.alive()
        });
        self.signal("-KILL");
        let _ = self.leader.wait();
    }
}

/// `n` random bytes as hex, from the kernel.
fn random_hex(bytes: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn venv() -> PathBuf {
    if let Some(path) = std::env::var_os("ASTRO_IDENTITY_AIRFLOW_VENV") {
        return PathBuf::from(path);
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/astro-identity/airflow-venv"))
        .unwrap_or_else(|| PathBuf::from(".cache/astro-identity/airflow-venv"))
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

impl AirflowServer {
    pub fn start() -> Result<Self, Error> {
        let airflow = venv().join("bin/airflow");
        if !airflow.exists() {
            return Err(
                format!("{} is missing: run `make deps` to install Airflow 3", airflow.display()).into()
            );
        }
        let home = tempfile::tempdir()?;
        let password = random_hex(16)?;
        let passwords = home.path().join("passwords.json");
        std::fs::write(&passwords, json!({"admin": password}).to_string())?;
        let env = vec![
            ("AIRFLOW_HOME", home.path().display().to_string()),
            ("AIRFLOW__CORE__LOAD_EXAMPLES", String::from("False")),
            ("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", String::from("admin:admin")),
            ("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", passwords.display().to_string()),
            ("AIRFLOW__API_AUTH__JWT_SECRET", random_hex(48)?),
            ("AIRFLOW__API__SECRET_KEY", random_hex(24)?),
        ];
        let log = home.path().join("airflow.log");
        let command = |args: &[&str]| -> Result<Command, Error> {
            let mut cmd = Command::new(&airflow);
            cmd.args(args).envs(env.iter().map(|(k, v)| (*k, v.as_str())));
            for (key, _) in std::env::vars_os() {
                let key = key.to_string_lossy();
                if key.starts_with("AIRFLOW_CONN_") || key.starts_with("AIRFLOW_VAR_") {
                    cmd.env_remove(key.as_ref());
                }
            }
            let out = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
            cmd.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out);
            Ok(cmd)
        };

        let status = command(&["db", "migrate"])?.status()?;
        if !status.success() {
            return Err(format!("airflow db migrate failed ({status}):\n{}", tail(&log)).into());
        }
        let port = free_port()?;
        let leader =
            command(&["api-server", "--host", "127.0.0.1", "--port", &port.to_string(), "--workers", "1"])?
                .process_group(0)
                .spawn()
                .map_err(|e| format!("could not start airflow api-server: {e}"))?;
        let mut group = ProcessGroup { leader, watchdog: None };
        // In the server's group: ends the group (TERM, then KILL after 10 s) when this test
        // process is gone without dropping the server. It ignores TERM itself so that it
        // outlives its own signal; the KILL ends it too.
        let watchdog = Command::new("sh")
            .args([
                "-c",
                "trap '' TERM; while kill -0 \"$0\" 2>/dev/null; do sleep 1; done; kill -TERM -\"$1\"; \
                 for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 \"$1\" 2>/dev/null || break; sleep 1; done; \
                 kill -KILL -\"$1\"",
                &std::process::id().to_string(),
                &group.pgid().to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(i32::try_from(group.pgid())?)
            .spawn()?;
        group.watchdog = Some(watchdog);

        let url = format!("http://127.0.0.1:{port}");
        let mut exited = None;
        let ready = wait_until(
            "the Airflow api-server to answer /api/v2/monitor/health",
            Duration::from_secs(90),
            || {
                if let Ok(Some(status)) = group.leader.try_wait() {
                    exited = Some(status);
                    return true;
                }
                http(&url, "GET", "/api/v2/monitor/health", None, None).is_ok_and(|(status, _)| status == 200)
            },
        );
        if let Some(status) = exited {
            return Err(format!("airflow api-server exited ({status}):\n{}", tail(&log)).into());
        }
        ready.map_err(|e| format!("{e}:\n{}", tail(&log)))?;
        Ok(Self { group, url, home, password, airflow, env })
    }

    /// A fresh JWT for `admin` (`POST /auth/token`).
    pub fn token(&self) -> Result<String, Error> {
        let body = json!({"username": "admin", "password": self.password});
        let (status, answer) = self.request("POST", "/auth/token", None, Some(&body))?;
        match answer["access_token"].as_str() {
            Some(token) if (200..300).contains(&status) => Ok(token.to_owned()),
            _ => Err(format!("POST /auth/token answered {status}: {answer}").into()),
        }
    }

    /// One request to the server: (status, JSON body or `null`).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(u16, Value), Error> {
        http(&self.url, method, path, token, body)
    }

    /// Runs `airflow <args>` against this server's home; returns stdout.
    pub fn cli(&self, args: &[&str]) -> Result<String, Error> {
        let out = Command::new(&self.airflow)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(format!(
                "airflow {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The process group id, to check that nothing of it survives.
    pub fn process_group(&self) -> u32 {
        self.group.pgid()
    }
}

/// A minimal HTTP/1.1 client: one request per connection, `Connection: close`.
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), Error> {
    let authority = base.strip_prefix("http://").ok_or("only http:// URLs")?.trim_end_matches('/');
    let mut stream = TcpStream::connect(authority)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nAccept: application/json\r\n"
    );
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if body.is_some() {
        request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", payload.len()));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream.write_all(request.as_bytes())?;

    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line.split_whitespace().nth(1).ok_or("no status line")?.parse()?;
    let mut chunked = false;
    let mut length = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim_end().is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    // A keep-alive server may not close: read exactly the announced body when there is one.
    let bytes = match (chunked, length) {
        (false, Some(length)) => {
            let mut body = vec![0; length];
            reader.read_exact(&mut body)?;
            body
        }
        _ => {
            let mut raw = Vec::new();
            reader.read_to_end(&mut raw)?;
            if chunked { dechunk(&raw) } else { raw }
        }
    };
    Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || raw.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = raw.get(end + 4 + size..).unwrap_or_default();
    }
    out
}
