//! The test harness: real peers started and stopped by the tests themselves.
//!
//! - [`Desktop`]: a private X server (Xvfb) and D-Bus session with an unlocked
//!   `gnome-keyring-daemon`, plus a throwaway HOME and XDG directories.
//! - [`Driver`]: `tauri-driver` (and through it `WebKitWebDriver`) on free ports.
//! - [`airflow::AirflowServer`]: a real Airflow 3 api-server; [`astro_fake::AstroFake`]:
//!   the Astro API's environment objects.
//! - [`fault_proxy::FaultProxy`]: a scriptable HTTP proxy between the app and moto or the
//!   GCP fake (errors, throttling, resets, hangs, delays, barriers).
//!
//! Every process is killed when its guard drops, so a failing assertion cleans up too.
//! Missing tools are a test failure with the fix in the message, never a silent skip.

pub mod airflow;
pub mod astro_fake;
pub mod fake_server;
pub mod fault_proxy;
pub mod gcp_auth;
pub mod gcp_fake;
pub mod service_quotas_fake;
pub mod sso_fake;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A child process killed (and reaped) on drop.
pub struct Guard {
    name: &'static str,
    child: Child,
}

impl Guard {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Result<Self, Error> {
        let child = cmd
            .spawn()
            .map_err(|e| format!("could not start {name}: {e} (run `make deps` to install it)"))?;
        Ok(Self { name, child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn first_stdout_line(&mut self) -> Result<String, Error> {
        let out = self.child.stdout.take().ok_or("stdout not piped")?;
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line)?;
        if line.trim().is_empty() {
            return Err(format!("{} printed nothing and probably exited", self.name).into());
        }
        Ok(line.trim().to_owned())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on loopback (bound, then released for the peer to take).
pub fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls `check` every 100 ms until it returns true or `limit` passes.
pub fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> Result<(), Error> {
    let start = Instant::now();
    while !check() {
        if start.elapsed() > limit {
            return Err(format!("timed out after {limit:?} waiting for {what}").into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// A private desktop session: X display, D-Bus session bus, unlocked Secret Service.
pub struct Desktop {
    pub root: tempfile::TempDir,
    pub display: String,
    pub bus_address: String,
    // Dropped in reverse order of declaration: keyring, then bus, then X.
    _keyring: Option<Guard>,
    _bus: Guard,
    _xvfb: Guard,
}

impl Desktop {
    pub fn start() -> Result<Self, Error> {
        Self::start_with(true)
    }

    /// libsecret's `secret-tool` on this desktop's Secret Service: an independent reader.
    pub fn secret_tool(&self, args: &[&str]) -> Result<String, Error> {
        let mut cmd = Command::new("secret-tool");
        cmd.args(args);
        self.configure(&mut cmd);
        Ok(String::from_utf8(cmd.output()?.stdout)?)
    }

    /// The X clipboard's text, as another program would paste it.
    pub fn clipboard(&self) -> Result<String, Error> {
        let out = Command::new("xclip")
            .args(["-selection", "clipboard", "-o"])
            .env("DISPLAY", &self.display)
            .output()?;
        if !out.status.success() {
            return Err(format!("xclip: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    /// A desktop whose session bus has no Secret Service, like a bare window manager.
    pub fn start_without_keyring() -> Result<Self, Error> {
        Self::start_with(false)
    }

    fn start_with(with_keyring: bool) -> Result<Self, Error> {
        let root = tempfile::tempdir()?;
        for dir in ["home", "data", "config", "cache", "runtime"] {
            std::fs::create_dir_all(root.path().join(dir))?;
        }
        set_private_mode(&root.path().join("runtime"))?;

        let mut xvfb = Guard::spawn(
            "Xvfb",
            Command::new("Xvfb")
                .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let display = format!(":{}", xvfb.first_stdout_line()?);

        // Our own bus configuration: like the session bus, but with no service activation,
        // so only the daemons we start answer (the system's would auto-start a keyring).
        let bus_config = root.path().join("session-bus.conf");
        std::fs::write(&bus_config, SESSION_BUS_CONFIG)?;
        let mut bus = Guard::spawn(
            "dbus-daemon",
            Command::new("dbus-daemon")
                .arg(format!("--config-file={}", bus_config.display()))
                .args(["--nofork", "--nopidfile", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let bus_address = bus.first_stdout_line()?;

        // `ASTRO_E2E_DARK=1`: every window test in dark mode (GTK's own setting, which WebKit
        // reports to the page as prefers-color-scheme), to look at the screenshots in both.
        if std::env::var_os("ASTRO_E2E_DARK").is_some_and(|v| v == "1") {
            prefer_dark(root.path())?;
        }
        let keyring =
            if with_keyring { Some(start_keyring(root.path(), &display, &bus_address)?) } else { None };
        Ok(Self { root, display, bus_address, _keyring: keyring, _bus: bus, _xvfb: xvfb })
    }

    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// Points a command at this desktop: display, bus, HOME and XDG dirs.
    pub fn configure(&self, cmd: &mut Command) {
        apply_env(cmd, self.root.path(), &self.display, &self.bus_address);
    }

    /// The same variables, for this test process itself (the keyring client reads them).
    ///
    /// # Safety
    /// Call before any other thread exists in the process: `set_var` is not thread-safe.
    /// nextest runs each test in its own process, so the start of a `#[test]` qualifies.
    pub unsafe fn export_to_process(&self) {
        for (k, v) in env_pairs(self.root.path(), &self.display, &self.bus_address) {
            // SAFETY: the caller guarantees the process is still single-threaded.
            unsafe { std::env::set_var(k, v) };
        }
    }
}

const SESSION_BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// GTK's dark preference in this desktop's config dir.
fn prefer_dark(root: &Path) -> Result<(), Error> {
    let dir = root.join("config/gtk-3.0");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("settings.ini"), "[Settings]\ngtk-application-prefer-dark-theme=1\n")?;
    Ok(())
}

impl Desktop {
    /// This desktop prefers dark, from now on (windows started later see it).
    pub fn prefer_dark(&self) -> Result<(), Error> {
        prefer_dark(self.root.path())
    }
}

fn start_keyring(root: &Path, display: &str, bus_address: &str) -> Result<Guard, Error> {
    let mut cmd = Command::new("gnome-keyring-daemon");
    cmd.args(["--foreground", "--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    apply_env(&mut cmd, root, display, bus_address);
    let mut keyring = Guard::spawn("gnome-keyring-daemon", &mut cmd)?;
    {
        // The password unlocks (and first creates) the login keyring; closing stdin ends it.
        let mut stdin = keyring.child.stdin.take().ok_or("stdin not piped")?;
        stdin.write_all(b"astro-identity-test")?;
    }
    wait_until("the Secret Service on the private bus", Duration::from_secs(15), || {
        name_has_owner(bus_address, "org.freedesktop.secrets")
    })?;
    Ok(keyring)
}

fn env_pairs(root: &Path, display: &str, bus: &str) -> Vec<(&'static str, String)> {
    let p = |d: &str| root.join(d).display().to_string();
    vec![
        ("DISPLAY", display.to_owned()),
        ("DBUS_SESSION_BUS_ADDRESS", bus.to_owned()),
        ("HOME", p("home")),
        ("XDG_DATA_HOME", p("data")),
        ("XDG_CONFIG_HOME", p("config")),
        ("XDG_CACHE_HOME", p("cache")),
        ("XDG_RUNTIME_DIR", p("runtime")),
        // No accessibility bus: it would outlive the test as a stray daemon.
        ("NO_AT_BRIDGE", String::from("1")),
    ]
}

fn apply_env(cmd: &mut Command, root: &Path, display: &str, bus: &str) {
    for (k, v) in env_pairs(root, display, bus) {
        cmd.env(k, v);
    }
    for k in [
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_PROFILE",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "CLOUDSDK_CONFIG",
    ] {
        cmd.env_remove(k);
    }
}

#[cfg(unix)]
fn set_private_mode(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

fn name_has_owner(bus: &str, name: &str) -> bool {
    Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .args([
            "--session",
            "--dest=org.freedesktop.DBus",
            "--type=method_call",
            "--print-reply",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &format!("string:{name}"),
        ])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
        .unwrap_or(false)
}

/// `tauri-driver` on free ports, serving WebDriver sessions for the app on `desktop`.
pub struct Driver {
    pub url: String,
    _guard: Guard,
}

impl Driver {
    pub fn start(desktop: &Desktop) -> Result<Self, Error> {
        let port = free_port()?;
        let native = free_port()?;
        let mut cmd = Command::new(tauri_driver_path());
        cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        desktop.configure(&mut cmd);
        let guard = Guard::spawn("tauri-driver", &mut cmd)?;
        wait_until("tauri-driver to listen", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })?;
        Ok(Self { url: format!("http://127.0.0.1:{port}"), _guard: guard })
    }
}

fn tauri_driver_path() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    match cargo_home.map(|h| h.join("bin/tauri-driver")) {
        Some(path) if path.exists() => path,
        _ => PathBuf::from("tauri-driver"),
    }
}

/// The app binary built with the UI embedded (`make app` or `cargo build -p astro-identity`).
pub fn app_binary() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os("ASTRO_IDENTITY_APP") {
        return Ok(PathBuf::from(path));
    }
    // Test binaries live in <target>/<profile>/deps; the app sits in <target>/<profile>.
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(Path::parent).ok_or("unexpected test binary location")?;
    let app = profile_dir.join(format!("astro-identity{}", std::env::consts::EXE_SUFFIX));
    if app.exists() {
        Ok(app)
    } else {
        Err(format!("{} is missing: build it with `make app`", app.display()).into())
    }
}

/// `astro-identity-cli`, built beside the app (`cargo build -p astro-identity-cli`).
pub fn cli_binary() -> Result<PathBuf, Error> {
    let app = app_binary()?;
    let cli = app.with_file_name(format!("astro-identity-cli{}", std::env::consts::EXE_SUFFIX));
    if cli.exists() {
        Ok(cli)
    } else {
        Err(format!("{} is missing: build it with `make app`", cli.display()).into())
    }
}

/// Where tests leave artifacts (screenshots): `<repo>/target/e2e`. The repo is read at run
/// time (cargo and nextest set `CARGO_MANIFEST_DIR`), so a test binary reused from another
/// clone through a shared target dir still writes into the clone being tested.
pub fn artifacts_dir() -> Result<PathBuf, Error> {
    let repo = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let dir = repo.join("target/e2e");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Writes a file under the desktop's HOME, creating parent directories.
pub fn write_home_file(desktop: &Desktop, rel: &str, text: &str) -> Result<PathBuf, Error> {
    let path = desktop.home().join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

/// The AWS profile `moto` in the desktop's `~/.aws` files, with moto's test keys; with
/// `endpoint`, the profile names it (`endpoint_url`), as a private endpoint is configured.
pub fn write_moto_profile(desktop: &Desktop, endpoint: Option<&str>) -> Result<(), Error> {
    let endpoint = endpoint.map(|url| format!("endpoint_url = {url}\n")).unwrap_or_default();
    write_home_file(desktop, ".aws/config", &format!("[profile moto]\nregion = us-east-1\n{endpoint}"))?;
    write_home_file(
        desktop,
        ".aws/credentials",
        "[moto]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )?;
    Ok(())
}

/// A browser that only records what it was asked to open: an `xdg-open` first on PATH (the
/// app opens console pages with the `open` crate, which runs it).
pub struct StubBrowser {
    dir: tempfile::TempDir,
}

impl StubBrowser {
    /// Puts the stub first on this process's PATH, which the driver and the app inherit.
    ///
    /// # Safety
    /// Call before any other thread exists in the process: `set_var` is not thread-safe.
    /// nextest runs each test in its own process, so the start of a `#[test]` qualifies.
    pub unsafe fn install() -> Result<Self, Error> {
        let dir = tempfile::tempdir()?;
        let script = dir.path().join("xdg-open");
        let log = dir.path().join("opened.txt");
        std::fs::write(&script, format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()))?;
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default());
        // SAFETY: the caller guarantees the process is still single-threaded.
        unsafe { std::env::set_var("PATH", path) };
        Ok(Self { dir })
    }

    /// Every address opened so far, waiting up to 10 s for the first.
    pub fn opened(&self) -> Result<Vec<String>, Error> {
        let log = self.dir.path().join("opened.txt");
        wait_until("the browser to be asked to open a page", Duration::from_secs(10), || log.exists())?;
        Ok(std::fs::read_to_string(&log)?.lines().map(str::to_owned).collect())
    }
}

/// The trust policy of `role` as moto keeps it (IAM returns it URL-encoded).
pub async fn moto_trust_policy(iam: &aws_sdk_iam::Client, role: &str) -> Result<serde_json::Value, Error> {
    let out = iam.get_role().role_name(role).send().await?;
    let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
    Ok(serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?)
}

/// A `moto` server (AWS IAM and STS) on a free loopback port, with fresh state.
pub struct Moto {
    pub url: String,
    _guard: Guard,
}

impl Moto {
    pub fn start() -> Result<Self, Error> {
        Self::start_with(&[])
    }

    /// `env` is passed to the server, e.g. `INITIAL_NO_AUTH_ACTION_COUNT` to enforce IAM
    /// permissions after that many requests.
    pub fn start_with(env: &[(&str, &str)]) -> Result<Self, Error> {
        let port = free_port()?;
        let mut cmd = Command::new(moto_server_path());
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let guard = Guard::spawn("moto_server", &mut cmd)?;
        wait_until("moto_server to listen", Duration::from_secs(30), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })?;
        Ok(Self { url: format!("http://127.0.0.1:{port}"), _guard: guard })
    }
}

/// `binary` (the CLI) as a script runs it: a private HOME and data dir, no other variable of
/// this process but PATH, and moto's test credentials for the AWS SDK.
pub fn cli_command(binary: &str, home: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// A process's output as text, for messages and `contains` checks.
pub fn output_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An IAM client of the moto at `url` (test credentials, us-east-1), to seed and read its
/// state directly — never through the app's own code.
pub async fn moto_iam(url: &str) -> aws_sdk_iam::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_iam::Client::new(&config)
}

/// `moto_server` from the Python environment `make deps` creates.
fn moto_server_path() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let cache =
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/astro-identity/venv/bin/moto_server"));
    match cache {
        Some(path) if path.exists() => path,
        _ => PathBuf::from("moto_server"),
    }
}

/// An AWS config directory with profiles for tests: `moto` (full access) and any extra
/// `(name, key id, secret)` triples. Returns the temp dir holding `config` and `credentials`.
pub fn aws_profiles(extra: &[(&str, &str, &str)]) -> Result<tempfile::TempDir, Error> {
    let dir = tempfile::tempdir()?;
    let mut config = String::from("[profile moto]\nregion = us-east-1\n");
    let mut credentials =
        String::from("[moto]\naws_access_key_id = testing\naws_secret_access_key = testing\n");
    for (name, id, secret) in extra {
        config.push_str(&format!("[profile {name}]\nregion = us-east-1\n"));
        credentials
            .push_str(&format!("[{name}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"));
    }
    std::fs::write(dir.path().join("config"), config)?;
    std::fs::write(dir.path().join("credentials"), credentials)?;
    Ok(dir)
}

/// A WebDriver session on the app, with the waits every end-to-end test needs.
pub struct AppSession {
    pub client: fantoccini::Client,
}

impl AppSession {
    pub async fn start(driver: &Driver, app: &Path) -> Result<Self, Error> {
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
        caps.insert("browserName".into(), serde_json::json!("wry"));
        let client = fantoccini::ClientBuilder::rustls()?.capabilities(caps).connect(&driver.url).await?;
        Ok(Self { client })
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    pub async fn find(&self, css: &str) -> Result<fantoccini::elements::Element, Error> {
        Ok(self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(fantoccini::Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))?)
    }

    pub async fn text_of(&self, css: &str) -> Result<String, Error> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Waits until the element's text contains `needle`; returns the text. The element may be
    /// replaced while the UI re-renders (a stale element between find and read): that is
    /// read again, like any text that is not there yet.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> Result<String, Error> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = match self.text_of(css).await {
                Ok(text) if text.contains(needle) => return Ok(text),
                Ok(text) => text,
                Err(err) => format!("(unreadable: {err})"),
            };
            if Instant::now() > deadline {
                return Err(format!("{css} never showed {needle:?}; last text: {text:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Finds `css` and centres it in its scrolling pane, as a person scrolls to a field: an
    /// element under the journey's sticky footer cannot be typed into.
    pub async fn reveal(&self, css: &str) -> Result<fantoccini::elements::Element, Error> {
        let element = self.find(css).await?;
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&element)?])
            .await?;
        Ok(element)
    }

    /// The input or select inside the `<label>` whose (visually hidden) text is `label`.
    pub async fn find_labelled(&self, label: &str) -> Result<fantoccini::elements::Element, Error> {
        let xpath = format!(
            "//label[.//span[normalize-space()='{label}']]//*[self::input or self::select or self::textarea]"
        );
        Ok(self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(fantoccini::Locator::XPath(&xpath))
            .await
            .map_err(|e| format!("field labelled {label:?}: {e}"))?)
    }

    /// Replaces all text of a code editor (CodeMirror's content element) by typing, as a
    /// person would: select all, then type.
    pub async fn type_into_code_editor(&self, css: &str, text: &str) -> Result<(), Error> {
        let editor = self.reveal(css).await?;
        editor.click().await?;
        // Control+A, then release the modifier (U+E000) before typing.
        editor.send_keys("\u{E009}a\u{E000}").await?;
        editor.send_keys(text).await?;
        Ok(())
    }

    /// Picks the radio or checkbox whose label's bold text is `text`, as a person would.
    pub async fn choose(&self, text: &str) -> Result<(), Error> {
        let xpath = format!("//label[.//strong[normalize-space()='{text}']]//input");
        let input = self
            .client
            .find(fantoccini::Locator::XPath(&xpath))
            .await
            .map_err(|e| format!("option {text:?}: {e}"))?;
        // Options low on a step sit under the sticky footer until scrolled to.
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&input)?])
            .await?;
        input.click().await?;
        Ok(())
    }

    /// The GCP journey's project step: the API endpoint set to the wire fake at `url`, and no
    /// credentials sent (the fake checks none yet).
    pub async fn use_gcp_fake(&self, url: &str) -> Result<(), Error> {
        self.find("details > summary").await?.click().await?;
        self.find("#gcp-endpoint").await?.send_keys(url).await?;
        let xpath = "//label[.//span[normalize-space()='Send no credentials']]/input";
        self.client.find(fantoccini::Locator::XPath(xpath)).await?.click().await?;
        Ok(())
    }

    /// The AWS journey's account step: the config profile `profile`, pointed at `endpoint`
    /// (moto), checked until the caller's `account` shows.
    pub async fn use_aws_profile(&self, profile: &str, endpoint: &str, account: &str) -> Result<(), Error> {
        let xpath = format!("//label[.//strong[normalize-space()='{profile}']]/input");
        self.client.find(fantoccini::Locator::XPath(&xpath)).await?.click().await?;
        self.find("details > summary").await?.click().await?;
        self.find("#endpoint").await?.send_keys(endpoint).await?;
        self.click_button("Check who I am").await?;
        self.wait_for_text("[data-testid=caller]", account).await?;
        Ok(())
    }

    /// Starts a journey from the home screen ("Authorize on AWS") and waits for its step rail:
    /// the journeys are loaded on demand, so the first step may come a moment after the click.
    pub async fn start_journey(&self, title: &str) -> Result<(), Error> {
        let css = format!("button[aria-label='Start: {title}']");
        // Found is not yet clickable while the first frame is still being laid out.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.find(&css).await?.click().await {
                Ok(()) => break,
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::ElementNotInteractable
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.find("nav[aria-label='Steps']").await?;
        Ok(())
    }

    /// Whether the (first) button whose visible text is `label` can be pressed now.
    pub async fn button_enabled(&self, label: &str) -> Result<bool, Error> {
        let xpath = format!("//button[normalize-space()='{label}']");
        let button = self.client.find(fantoccini::Locator::XPath(&xpath)).await?;
        Ok(button.is_enabled().await?)
    }

    /// Clicks the (first) button whose visible text is `label`.
    pub async fn click_button(&self, label: &str) -> Result<(), Error> {
        let xpath = format!("//button[normalize-space()='{label}' and not(@disabled)]");
        let button = self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(fantoccini::Locator::XPath(&xpath))
            .await
            .map_err(|e| format!("enabled button {label:?}: {e}"))?;
        // Centre it in its scrolling pane first: WebKitWebDriver refuses a click on a
        // button that sits half under the pane's edge.
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&button)?])
            .await?;
        button.click().await?;
        Ok(())
    }

    /// Saves a screenshot under target/e2e, after the frame has settled.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, Error> {
        tokio::time::sleep(Duration::from_millis(800)).await;
        // WebKit's snapshot is of the last frame it drew: in a session's first seconds that can
        // be an early one. Two animation frames make it draw the page as it is now.
        let frames = "const done = arguments[arguments.length - 1]; \
            requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        self.client.execute_async(frames, vec![]).await?;
        let png = self.client.screenshot().await?;
        if !png.starts_with(b"\x89PNG") {
            return Err("the screenshot is not a PNG".into());
        }
        let path = artifacts_dir()?.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        // Every screen a test looks at is also read as assistive technology reads it.
        self.check_accessibility(name).await?;
        Ok(path)
    }

    /// Runs axe-core (ui/node_modules, the version package.json pins) on the page as it is,
    /// in its own palette and in the other one, and fails on any serious or critical
    /// violation, naming the rule, the elements and the screen.
    pub async fn check_accessibility(&self, screen: &str) -> Result<(), Error> {
        let axe = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/axe-core/axe.min.js"),
        )
        .map_err(|e| format!("axe-core is not installed in ui/node_modules (npm ci): {e}"))?;
        // The script text itself, not eval: the app's CSP forbids eval.
        self.client.execute(&format!("{axe}\nreturn typeof axe;"), vec![]).await?;
        let run = "const [flip, done] = [arguments[0], arguments[arguments.length - 1]];             const html = document.documentElement; const before = html.getAttribute('data-theme');             if (flip) html.setAttribute('data-theme', before === 'dark' ? 'light' : 'dark');             requestAnimationFrame(() => requestAnimationFrame(() =>               axe.run(document, {resultTypes: ['violations']}).then((result) => {                 const theme = html.getAttribute('data-theme');                 if (flip) html.setAttribute('data-theme', before);                 done(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')                   .map((v) => `${theme}: ${v.id} (${v.impact}): ${v.help}: ` +                     v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' [' + (n.failureSummary || '').replace(/\\s+/g, ' ') + ']').join('; ')));               }, (e) => done(['axe failed: ' + e])))); ";
        let mut problems = Vec::new();
        for flip in [false, true] {
            let found = self.client.execute_async(run, vec![serde_json::Value::Bool(flip)]).await?;
            problems
                .extend(found.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("accessibility on screen {screen:?}:\n{}", problems.join("\n")).into())
        }
    }
}

/// Every file under `root` (recursively) that contains `needle`, except the `allowed` ones.
/// Used to prove secrets reach no file but the ones the test itself wrote them to.
pub fn files_containing(root: &Path, needle: &str, allowed: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut hits = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if !allowed.contains(&path)
                && std::fs::read(&path)
                    .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                hits.push(path);
            }
        }
    }
    Ok(hits)
}
