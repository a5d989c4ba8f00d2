//! Crash safety: the real `astro-identity-cli` killed (SIGKILL) between the journal's intent
//! record and its outcome, then `journal settle`, which must find out from the peer whether
//! the write landed and record exactly that. A fault proxy between the CLI and the peer
//! hangs the write after forwarding it (it landed; the CLI never heard) or before (it never
//! landed). Also: two CLI processes granting on one project at the same moment.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use astro_identity_cloud::journal::{ChangeStatus, Journal, JournalAction};
use astro_identity_tests::fault_proxy::{Fault, FaultProxy, Matcher};
use astro_identity_tests::gcp_fake::GcpFake;
use astro_identity_tests::{Error, Moto, moto_iam, wait_until};

const DEPLOYMENT_A: &str = "arn:aws:iam::123456789876:role/astro-stellar-apogee-4567";
const DEPLOYMENT_B: &str = "arn:aws:iam::123456789876:role/astro-lunar-crater-0815";
const MEMBER: &str = "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";

fn cli(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_astro-identity-cli"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // No session bus: `doctor` reports the keyring as unavailable instead of waiting.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/astro-identity-test-bus")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn journal_path(home: &Path) -> PathBuf {
    home.join("data/dev.astroidentity.app/journal.jsonl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Kills the child if a test fails before it does.
struct Killed(Option<Child>);

impl Killed {
    fn spawn(cmd: &mut Command) -> Result<Self, Error> {
        Ok(Self(Some(cmd.spawn()?)))
    }

    fn child(&mut self) -> Result<&mut Child, Error> {
        self.0.as_mut().ok_or_else(|| "already taken".into())
    }

    fn into_output(mut self) -> Result<Output, Error> {
        Ok(self.0.take().ok_or("already taken")?.wait_with_output()?)
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `args`, waits until its intent is in the journal and the proxy holds its write
/// (`landed`: after the peer answered it), then SIGKILLs it.
fn kill_mid_write(
    home: &Path,
    args: &[&str],
    proxy: &FaultProxy,
    write: &Matcher,
    landed: bool,
) -> Result<(), Error> {
    let mut child = Killed::spawn(&mut cli(home, args))?;
    let journal = journal_path(home);
    wait_until("the intent record", Duration::from_secs(60), || {
        std::fs::read_to_string(&journal).is_ok_and(|t| t.contains(r#""record":"intent""#))
    })?;
    proxy.wait_for("the write at the proxy", Duration::from_secs(60), |seen| {
        seen.iter().any(|s| write.matches(s) && (!landed || s.upstream_status == Some(200)))
    })?;
    let child = child.child()?;
    assert!(child.try_wait()?.is_none(), "the CLI is still waiting for its answer");
    child.kill()?; // SIGKILL: no destructor runs, no outcome is recorded.
    child.wait()?;
    let journal = Journal::at(journal_path(home));
    assert_eq!(journal.pending()?.len(), 1, "the intent is pending after the kill");
    Ok(())
}

fn run(home: &Path, args: &[&str]) -> Result<Output, Error> {
    Ok(cli(home, args).output()?)
}

/// The role's trusted AWS principals, read from moto directly.
fn principals(moto: &Moto, role: &str) -> Result<Vec<String>, Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let out = moto_iam(&moto.url).await.get_role().role_name(role).send().await?;
        let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
        let policy: Value =
            serde_json::from_str(&percent_encoding::percent_decode_str(encoded).decode_utf8()?)?;
        let mut found = Vec::new();
        for statement in policy["Statement"].as_array().into_iter().flatten() {
            match &statement["Principal"]["AWS"] {
                Value::String(s) => found.push(s.clone()),
                Value::Array(list) => found.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned))),
                _ => {}
            }
        }
        Ok(found)
    })
}

fn seed_role(moto: &Moto, role: &str) -> Result<(), Error> {
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": DEPLOYMENT_B}, "Action": "sts:AssumeRole"}]});
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        moto_iam(&moto.url)
            .await
            .create_role()
            .role_name(role)
            .assume_role_policy_document(policy.to_string())
            .send()
            .await?;
        Ok(())
    })
}

fn aws_killed_mid_write(landed: bool) -> Result<(), Error> {
    let moto = Moto::start()?;
    let proxy = FaultProxy::start(&moto.url)?;
    let home = tempfile::tempdir()?;
    seed_role(&moto, "data")?;
    let write = Matcher::aws_action("UpdateAssumeRolePolicy");
    let hang = if landed { Fault::HangAfterForward } else { Fault::HangBeforeForward };
    proxy.always(write.clone(), hang);

    let apply =
        ["aws", "apply", "--role", "data", "--identity", DEPLOYMENT_A, "--yes", "--endpoint-url", &proxy.url];
    kill_mid_write(home.path(), &apply, &proxy, &write, landed)?;
    assert_eq!(principals(&moto, "data")?.contains(&DEPLOYMENT_A.to_owned()), landed, "moto's state");

    // `doctor` points at it; `undo` will not touch it unsettled.
    let doctor = run(home.path(), &["doctor"])?;
    let report = text(&doctor.stdout);
    assert!(report.contains("Interrupted changes (1)"), "{report}");
    assert!(report.contains("the trust policy of role data in account 123456789012"), "{report}");
    let undo = run(home.path(), &["aws", "undo", "--endpoint-url", &moto.url])?;
    assert!(!undo.status.success());
    assert!(text(&undo.stderr).contains("a change to undo does not exist"), "{}", text(&undo.stderr));

    let settle = run(home.path(), &["journal", "settle", "--endpoint-url", &moto.url])?;
    assert!(settle.status.success(), "{}", text(&settle.stderr));
    let said = text(&settle.stdout);
    let verdict = if landed { "; it was applied." } else { "; it was not applied; nothing changed." };
    assert!(
        said.contains("Your last change — the trust policy of role data in account 123456789012"),
        "{said}"
    );
    assert!(said.contains(verdict), "{said}");

    let journal = Journal::at(journal_path(home.path()));
    assert_eq!(journal.pending()?, []);
    let history = journal.history()?;
    assert_eq!(history.len(), 1);
    let expected = if landed { ChangeStatus::Applied } else { ChangeStatus::NotApplied };
    assert_eq!(history[0].status, expected, "{history:?}");
    assert_eq!(
        principals(&moto, "data")?.contains(&DEPLOYMENT_A.to_owned()),
        landed,
        "moto unchanged by settling"
    );

    // Settled and applied, it is history like any other change: undo takes it back.
    if landed {
        let undo = run(home.path(), &["aws", "undo", "--endpoint-url", &moto.url])?;
        assert!(undo.status.success(), "{}", text(&undo.stderr));
        assert_eq!(principals(&moto, "data")?, [DEPLOYMENT_B]);
    }
    // Settling again has nothing to do.
    let again = run(home.path(), &["journal", "settle", "--endpoint-url", &moto.url])?;
    assert!(text(&again.stdout).contains("Nothing to settle"), "{}", text(&again.stdout));
    Ok(())
}

#[test]
fn aws_apply_killed_after_the_write_landed_settles_as_applied() -> Result<(), Error> {
    aws_killed_mid_write(true)
}

#[test]
fn aws_apply_killed_before_the_write_landed_settles_as_not_applied() -> Result<(), Error> {
    aws_killed_mid_write(false)
}

fn gcp_killed_mid_write(landed: bool) -> Result<(), Error> {
    let fake = GcpFake::start()?;
    fake.seed(
        "astro-data",
        json!({"bindings": [{"role": "roles/viewer", "members": ["user:ada@example.com"]}]}),
    );
    let proxy = FaultProxy::start(&fake.url)?;
    let home = tempfile::tempdir()?;
    let write = Matcher::target(":setIamPolicy");
    let hang = if landed { Fault::HangAfterForward } else { Fault::HangBeforeForward };
    proxy.always(write.clone(), hang);
    let has_member = || {
        fake.policy("astro-data").is_some_and(|p| {
            p["bindings"].as_array().into_iter().flatten().any(|b| {
                b["role"] == "roles/bigquery.jobUser"
                    && b["members"].as_array().is_some_and(|m| m.contains(&json!(MEMBER)))
            })
        })
    };

    let apply = [
        "gcp",
        "apply",
        "--project",
        "astro-data",
        "--member",
        MEMBER,
        "--role",
        "roles/bigquery.jobUser",
        "--endpoint",
        &proxy.url,
        "--anonymous",
        "--yes",
    ];
    kill_mid_write(home.path(), &apply, &proxy, &write, landed)?;
    assert_eq!(has_member(), landed, "the fake's state");

    let settle = run(home.path(), &["journal", "settle", "--gcp-endpoint", &fake.url, "--anonymous"])?;
    assert!(settle.status.success(), "{}", text(&settle.stderr));
    let said = text(&settle.stdout);
    assert!(
        said.contains(&format!(
            "Your last change — granting roles/bigquery.jobUser to {MEMBER} on project astro-data"
        )),
        "{said}"
    );
    let verdict = if landed { "; it was applied." } else { "; it was not applied; nothing changed." };
    assert!(said.contains(verdict), "{said}");

    let journal = Journal::at(journal_path(home.path()));
    assert_eq!(journal.pending()?, []);
    let history = journal.history()?;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].entry.action, JournalAction::AddBinding);
    let expected = if landed { ChangeStatus::Applied } else { ChangeStatus::NotApplied };
    assert_eq!(history[0].status, expected, "{history:?}");
    assert_eq!(has_member(), landed);
    if landed {
        let undo = run(home.path(), &["gcp", "undo", "--endpoint", &fake.url, "--anonymous"])?;
        assert!(undo.status.success(), "{}", text(&undo.stderr));
        assert!(!has_member());
    }
    Ok(())
}

#[test]
fn gcp_apply_killed_after_the_write_landed_settles_as_applied() -> Result<(), Error> {
    gcp_killed_mid_write(true)
}

#[test]
fn gcp_apply_killed_before_the_write_landed_settles_as_not_applied() -> Result<(), Error> {
    gcp_killed_mid_write(false)
}

#[test]
fn two_cli_processes_grant_on_one_project_and_both_land() -> Result<(), Error> {
    let fake = GcpFake::start()?;
    let original = json!({"bindings": [
        {"role": "roles/viewer", "members": ["user:ada@example.com"]},
        {"role": "roles/storage.objectViewer", "members": ["user:eve@example.com"],
         "condition": {"title": "until-2027", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}}
    ]});
    fake.seed("shared", original.clone());
    let proxy = FaultProxy::start(&fake.url)?;
    // Both processes read before either writes: one write carries a stale etag.
    proxy.times(2, Matcher::target(":setIamPolicy"), Fault::Barrier(2));
    let home = tempfile::tempdir()?;
    let members = [
        "serviceAccount:astro-first-1111@astronomer-prod.iam.gserviceaccount.com",
        "serviceAccount:astro-second-2222@astronomer-prod.iam.gserviceaccount.com",
    ];
    let children: Vec<Killed> = members
        .iter()
        .map(|member| {
            let args = [
                "gcp",
                "apply",
                "--project",
                "shared",
                "--member",
                member,
                "--role",
                "roles/bigquery.jobUser",
                "--endpoint",
                &proxy.url,
                "--anonymous",
                "--yes",
                "--json",
            ];
            Killed::spawn(&mut cli(home.path(), &args))
        })
        .collect::<Result<_, _>>()?;
    let mut attempts = Vec::new();
    for child in children {
        let out = child.into_output()?;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let outcome: Value = serde_json::from_slice(&out.stdout)?;
        attempts.push(outcome["attempts"].as_u64().ok_or("attempts")?);
    }
    attempts.sort_unstable();
    assert_eq!(attempts, [1, 2]);

    let stored = fake.policy("shared").ok_or("gone")?;
    let bindings = stored["bindings"].as_array().ok_or("bindings")?;
    for binding in original["bindings"].as_array().ok_or("bindings")? {
        assert!(bindings.contains(binding), "lost {binding}");
    }
    let granted = bindings.iter().find(|b| b["role"] == "roles/bigquery.jobUser").ok_or("no grant")?;
    for member in members {
        assert!(granted["members"].as_array().is_some_and(|m| m.contains(&json!(member))), "{member} lost");
    }
    let journal = Journal::at(journal_path(home.path()));
    assert_eq!(journal.entries()?.len(), 2);
    assert_eq!(journal.pending()?, []);
    Ok(())
}

/// Starts the CLI held by the engine's crash hook (`ASTRO_IDENTITY_TEST_PAUSE`) right after
/// its intent (`landed` false) or right after its write (`landed` true), waits until the
/// intent is journaled and `written` says the write is (or is not) visible, then SIGKILLs
/// it: what a crash in that window leaves. For writes no proxy can hold (a local file) and
/// for the kinds whose proxy tests would only repeat the trust-policy ones.
fn kill_in_window(
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    landed: bool,
    written: impl Fn() -> bool,
) -> Result<(), Error> {
    let mut cmd = cli(home, args);
    cmd.env("ASTRO_IDENTITY_TEST_PAUSE", if landed { "after-write" } else { "after-intent" });
    cmd.envs(env.iter().copied());
    let mut child = Killed::spawn(&mut cmd)?;
    let journal = journal_path(home);
    wait_until("the intent record", Duration::from_secs(60), || {
        std::fs::read_to_string(&journal).is_ok_and(|t| t.contains(r#""record":"intent""#))
    })?;
    if landed {
        wait_until("the write", Duration::from_secs(60), &written)?;
    }
    let child = child.child()?;
    assert!(child.try_wait()?.is_none(), "the CLI is held in the crash window");
    child.kill()?;
    child.wait()?;
    assert_eq!(written(), landed, "the write landed exactly when it was let through");
    assert_eq!(Journal::at(journal_path(home)).pending()?.len(), 1, "the intent is pending after the kill");
    Ok(())
}

/// Settles with `args` and checks the verdict and the journal's status.
fn settle_and_check(
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    landed: bool,
    subject: &str,
) -> Result<(), Error> {
    let mut cmd = cli(home, args);
    cmd.envs(env.iter().copied());
    let settle = cmd.output()?;
    assert!(settle.status.success(), "{}", text(&settle.stderr));
    let said = text(&settle.stdout);
    assert!(said.contains(&format!("Your last change — {subject}")), "{said}");
    let verdict = if landed { "; it was applied." } else { "; it was not applied; nothing changed." };
    assert!(said.contains(verdict), "{said}");
    let journal = Journal::at(journal_path(home));
    assert_eq!(journal.pending()?, []);
    let expected = if landed { ChangeStatus::Applied } else { ChangeStatus::NotApplied };
    assert_eq!(journal.history()?.last().map(|c| c.status), Some(expected));
    Ok(())
}

fn requirements_killed_mid_write(landed: bool) -> Result<(), Error> {
    let home = tempfile::tempdir()?;
    let project = home.path().join("astro-project");
    std::fs::create_dir(&project)?;
    std::fs::write(project.join("Dockerfile"), "FROM astrocrpublic.azurecr.io/runtime:3.1-1\n")?;
    let requirements = project.join("requirements.txt");
    std::fs::write(&requirements, "pandas==2.2\n")?;
    let path = project.to_string_lossy().into_owned();
    let added = || {
        std::fs::read_to_string(&requirements).is_ok_and(|t| t.contains("apache-airflow-providers-amazon"))
    };
    kill_in_window(home.path(), &["airflow", "add-provider", "--project", &path], &[], landed, added)?;

    let real = std::fs::canonicalize(&requirements)?.display().to_string();
    settle_and_check(
        home.path(),
        &["journal", "settle"],
        &[],
        landed,
        &format!("added apache-airflow-providers-amazon to {real}"),
    )?;
    if landed {
        // Settled as applied, it is history: `journal undo` takes the line out again.
        let id = Journal::at(journal_path(home.path())).entries()?.pop().ok_or("no entry")?.id;
        let undo = run(home.path(), &["journal", "undo", "--id", &id, "--yes"])?;
        assert!(undo.status.success(), "{}", text(&undo.stderr));
        let said = text(&undo.stdout);
        assert!(
            said.contains("- apache-airflow-providers-amazon"),
            "the diff shows the line it cuts: {said}"
        );
        assert!(said.contains("Reverted “Added apache-airflow-providers-amazon"), "{said}");
    }
    assert_eq!(std::fs::read_to_string(&requirements)?, "pandas==2.2\n", "every byte as before");
    Ok(())
}

#[test]
fn requirements_append_killed_after_the_write_settles_as_applied_and_undoes() -> Result<(), Error> {
    requirements_killed_mid_write(true)
}

#[test]
fn requirements_append_killed_before_the_write_settles_as_not_applied() -> Result<(), Error> {
    requirements_killed_mid_write(false)
}

fn attached(moto: &Moto, role: &str) -> Result<Vec<String>, Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let out = moto_iam(&moto.url).await.list_attached_role_policies().role_name(role).send().await?;
        Ok(out.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_owned)).collect())
    })
}

fn inline_names(moto: &Moto, role: &str) -> Result<Vec<String>, Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let out = moto_iam(&moto.url).await.list_role_policies().role_name(role).send().await?;
        Ok(out.policy_names().to_vec())
    })
}

fn permissions_killed_mid_write(landed: bool) -> Result<(), Error> {
    let moto = Moto::start()?;
    seed_role(&moto, "data")?;
    // A customer-managed policy: moto loads AWS-managed ones only when told to.
    let policy = "arn:aws:iam::123456789012:policy/astro-read";
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::astro-data/*"}]});
        moto_iam(&moto.url)
            .await
            .create_policy()
            .policy_name("astro-read")
            .policy_document(document.to_string())
            .send()
            .await?;
        Ok::<_, Error>(())
    })?;
    let home = tempfile::tempdir()?;
    let attach = [
        "aws",
        "permissions",
        "attach",
        "--role",
        "data",
        "--policy-arn",
        policy,
        "--yes",
        "--endpoint-url",
        &moto.url,
    ];
    let is_attached = || attached(&moto, "data").is_ok_and(|list| list.iter().any(|a| a == policy));
    kill_in_window(home.path(), &attach, &[], landed, is_attached)?;
    settle_and_check(
        home.path(),
        &["journal", "settle", "--endpoint-url", &moto.url],
        &[],
        landed,
        &format!("attaching {policy} to role data in account 123456789012"),
    )?;

    // The inline policy, in a journal of its own.
    let home = tempfile::tempdir()?;
    let document = home.path().join("policy.json");
    std::fs::write(
        &document,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::astro-data/*"}]}"#,
    )?;
    let doc = document.to_string_lossy().into_owned();
    let put = [
        "aws",
        "permissions",
        "put-inline",
        "--role",
        "data",
        "--name",
        "astro-s3",
        "--document-file",
        &doc,
        "--yes",
        "--endpoint-url",
        &moto.url,
    ];
    let has_inline = || inline_names(&moto, "data").is_ok_and(|names| names.iter().any(|n| n == "astro-s3"));
    kill_in_window(home.path(), &put, &[], landed, has_inline)?;
    settle_and_check(
        home.path(),
        &["journal", "settle", "--endpoint-url", &moto.url],
        &[],
        landed,
        "inline policy astro-s3 of role data in account 123456789012",
    )?;
    Ok(())
}

#[test]
fn permission_writes_killed_after_the_write_settle_as_applied() -> Result<(), Error> {
    permissions_killed_mid_write(true)
}

#[test]
fn permission_writes_killed_before_the_write_settle_as_not_applied() -> Result<(), Error> {
    permissions_killed_mid_write(false)
}

/// The Airflow connection write, against a real Airflow 3 api-server.
#[test]
fn airflow_connection_create_killed_mid_write_settles_against_a_real_airflow() -> Result<(), Error> {
    let server = astro_identity_tests::airflow::AirflowServer::start()?;
    let token = server.token()?;
    let env = [("AIRFLOW_API_TOKEN", token.as_str())];
    for (landed, conn_id) in [(true, "crash_landed"), (false, "crash_lost")] {
        let home = tempfile::tempdir()?;
        let create = [
            "airflow",
            "create",
            "aws",
            "--conn-id",
            conn_id,
            "--role-arn",
            "arn:aws:iam::123456789012:role/astro-data",
            "--region",
            "us-east-1",
            "--url",
            &server.url,
            "--yes",
        ];
        let exists = || {
            server
                .request("GET", &format!("/api/v2/connections/{conn_id}"), Some(&token), None)
                .is_ok_and(|(status, _)| status == 200)
        };
        kill_in_window(home.path(), &create, &env, landed, exists)?;
        settle_and_check(
            home.path(),
            &["journal", "settle", "--airflow-url", &server.url],
            &env,
            landed,
            &format!("created connection {conn_id}"),
        )?;
        let text = std::fs::read_to_string(journal_path(home.path()))?;
        assert!(!text.contains(&token), "the token never reaches the journal");
    }
    Ok(())
}

#[test]
fn airflow_create_without_a_token_says_so_and_journals_nothing() -> Result<(), Error> {
    let home = tempfile::tempdir()?;
    let args = [
        "airflow",
        "create",
        "aws",
        "--role-arn",
        "arn:aws:iam::123456789012:role/astro-data",
        "--region",
        "us-east-1",
        "--url",
        "http://127.0.0.1:9",
        "--yes",
    ];
    let out = run(home.path(), &args)?;
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(said.contains("AIRFLOW_API_TOKEN is not set"), "{said}");
    assert!(!journal_path(home.path()).exists(), "nothing was journaled");
    Ok(())
}

/// The OIDC providers in moto, read directly.
fn oidc_providers(moto: &Moto) -> Result<usize, Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let out = moto_iam(&moto.url).await.list_open_id_connect_providers().send().await?;
        Ok(out.open_id_connect_provider_list().len())
    })
}

/// Customer Managed Identity killed right at its first write (the cluster's OIDC provider):
/// settling says whether it landed, and running the command again finishes the job.
fn attach_role_killed_at_the_provider(landed: bool) -> Result<(), Error> {
    let moto = Moto::start()?;
    let home = tempfile::tempdir()?;
    let issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/CRASH0000CRASH0000CRASH0000CRASH";
    let attach = [
        "aws",
        "attach-role",
        "--role",
        "astro-cmi",
        "--create",
        "--namespace",
        "fiery-nebula-1234",
        "--oidc-issuer",
        issuer,
        "--yes",
        "--endpoint-url",
        &moto.url,
    ];
    kill_in_window(home.path(), &attach, &[], landed, || oidc_providers(&moto).is_ok_and(|n| n == 1))?;
    settle_and_check(
        home.path(),
        &["journal", "settle", "--endpoint-url", &moto.url],
        &[],
        landed,
        &format!("created OIDC provider {}", issuer.trim_start_matches("https://")),
    )?;
    let again = run(home.path(), &attach)?;
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(oidc_providers(&moto)?, 1, "never a second provider");
    let trusted = tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let out = moto_iam(&moto.url).await.get_role().role_name("astro-cmi").send().await?;
        let encoded = out.role().and_then(|r| r.assume_role_policy_document()).ok_or("no policy")?;
        Ok::<_, Error>(percent_encoding::percent_decode_str(encoded).decode_utf8()?.into_owned())
    })?;
    assert!(
        trusted.contains("system:serviceaccount:fiery-nebula-1234:fiery-nebula-1234-worker-serviceaccount"),
        "{trusted}"
    );
    Ok(())
}

#[test]
fn attach_role_killed_after_the_provider_landed_settles_and_a_rerun_finishes() -> Result<(), Error> {
    attach_role_killed_at_the_provider(true)
}

#[test]
fn attach_role_killed_before_the_provider_landed_settles_and_a_rerun_finishes() -> Result<(), Error> {
    attach_role_killed_at_the_provider(false)
}
