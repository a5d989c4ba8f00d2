//! Airflow connections: `ConnectionSpec::aws` / `gcp` (and `with_astro_scope`) from form
//! input, then every format `render_all` makes of it.
//!
//! Asserts: no panic; a refusal is on one of the form's fields with a problem and a hint;
//! a valid spec renders all seven formats, none empty or ending in a line break, and each
//! reads back as the same connection: the JSON forms parse to its type and extra, the CLI
//! line splits (as a POSIX shell would) into the id and the JSON form, the URI's query
//! decodes (as Airflow's `quote_plus` reverse) to the extra, and the YAML scalars unquote to
//! the id and the URI. `quote_plus`, `shell_quote` and `yaml_scalar` round-trip any text.

#![no_main]

use arbitrary::Unstructured;
use astro_identity_domain::airflow::formats::{
    ConnectionFormat, DEPLOYMENT_PLACEHOLDER, quote_plus, render, render_all, shell_quote, yaml_scalar,
};
use astro_identity_domain::airflow::{
    AstroScope, AstroScopeKind, AwsConnectionInput, ConnectionSpec, ENV_PREFIX, GcpConnectionInput,
    connection,
};
use astro_identity_fuzz::{ARNS, check_error, pick, same_json};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const CONN_IDS: [&str; 6] = ["aws_default", "google_cloud_default", "my.conn-1", "Ünïcode_ß", "a..b", "it's"];
const REGIONS: [&str; 4] = ["us-east-1", "us-gov-west-1", "eu-west", "US-EAST-1"];
const EXTERNAL_IDS: [&str; 5] = ["vendor-1234", "a b", "x", "{\"json\":1}", "123"];
const PROJECTS: [&str; 5] =
    ["my-project-123456", "example.com:my-project", "123456789", "My Project", "projects/p"];
const ACCOUNTS: [&str; 4] = [
    "customer-sa-1@my-project-123456.iam.gserviceaccount.com",
    "123-compute@developer.gserviceaccount.com",
    "serviceAccount:astro-x-123@astronomer-prod.iam.gserviceaccount.com",
    "User@Example.com",
];
const ENTITY_IDS: [&str; 4] = ["clxyz1234abcd", " cl-_x ", "", "bad/id"];

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let aws = AwsConnectionInput {
        conn_id: pick(&mut u, &CONN_IDS),
        role_arn: pick(&mut u, &ARNS),
        region: pick(&mut u, &REGIONS),
        external_id: optional(&mut u, &EXTERNAL_IDS),
        web_identity: u.arbitrary().unwrap_or(false),
    };
    let gcp = GcpConnectionInput {
        conn_id: pick(&mut u, &CONN_IDS),
        project: pick(&mut u, &PROJECTS),
        impersonation_chain: optional(&mut u, &ACCOUNTS),
    };
    let scope = if u.arbitrary().unwrap_or(false) {
        let kind = if u.arbitrary().unwrap_or(false) {
            AstroScopeKind::Workspace
        } else {
            AstroScopeKind::Deployment
        };
        Some(AstroScope { scope: kind, entity_id: pick(&mut u, &ENTITY_IDS) })
    } else {
        None
    };
    let fields_aws = ["conn_id", "role_arn", "region_name", "external_id"];
    let fields_gcp = ["conn_id", "project_id", "service_account"];
    for (spec, fields) in
        [(ConnectionSpec::aws(&aws), &fields_aws[..]), (ConnectionSpec::gcp(&gcp), &fields_gcp[..])]
    {
        let spec = match spec {
            Ok(spec) => spec,
            Err(error) => {
                check_error("ConnectionSpec", &error, fields);
                continue;
            }
        };
        check_formats(&spec);
        if let Some(scope) = scope.clone() {
            match spec.with_astro_scope(scope) {
                Ok(scoped) => check_formats(&scoped),
                Err(error) => check_error("with_astro_scope", &error, &["scope_entity_id"]),
            }
        }
    }
    let text: String = u.arbitrary().unwrap_or_default();
    assert_eq!(unquote_plus(&quote_plus(&text)), text.as_bytes(), "quote_plus round-trips");
    assert_eq!(shell_words(&shell_quote(&text)), std::slice::from_ref(&text), "shell_quote is one word");
    assert_eq!(yaml_unquote(&yaml_scalar(&text)), text, "yaml_scalar round-trips");
});

fn optional(u: &mut Unstructured<'_>, pool: &[&str]) -> Option<String> {
    if u.arbitrary().unwrap_or(false) { Some(pick(u, pool)) } else { None }
}

fn check_formats(spec: &ConnectionSpec) {
    let formats = render_all(spec);
    assert_eq!(formats.iter().map(|f| f.format).collect::<Vec<_>>(), ConnectionFormat::ALL);
    for f in &formats {
        assert!(!f.text.is_empty() && !f.text.ends_with('\n'), "{}: {:?}", f.format, f.text);
        assert_eq!(render(spec, f.format), f.text);
        assert!(!f.label.is_empty());
    }
    let extra = Value::Object(spec.extra());
    let text = |format: ConnectionFormat| render(spec, format);
    let json = |format: ConnectionFormat| -> Value {
        serde_json::from_str(&text(format)).unwrap_or_else(|e| panic!("{format} is not JSON: {e}"))
    };
    let env_json = json(ConnectionFormat::EnvJson);
    assert_eq!(env_json["conn_type"], spec.conn_type());
    assert!(same_json(&env_json["extra"], &extra), "env-json extra");

    let rest = json(ConnectionFormat::Rest);
    assert_eq!(rest["connection_id"], spec.conn_id());
    let rest_extra: Value = serde_json::from_str(rest["extra"].as_str().expect("a string")).expect("JSON");
    assert!(same_json(&rest_extra, &extra), "rest extra");

    let astro = json(ConnectionFormat::Astro);
    assert_eq!(astro["objectKey"], spec.conn_id());
    assert!(same_json(&astro["connection"]["extra"], &extra), "astro extra");
    let entity = spec.astro_scope().map_or(DEPLOYMENT_PLACEHOLDER, |s| s.entity_id.as_str());
    assert_eq!(astro["scopeEntityId"], entity);

    let cli = shell_words(&text(ConnectionFormat::Cli));
    let env_text = text(ConnectionFormat::EnvJson);
    assert_eq!(cli, ["airflow", "connections", "add", spec.conn_id(), "--conn-json", &env_text]);

    let uri = text(ConnectionFormat::EnvUri);
    let scheme = format!("{}://?", spec.conn_type().replace('_', "-"));
    let query = uri.strip_prefix(&scheme).unwrap_or_else(|| panic!("{uri} does not start with {scheme}"));
    let mut decoded = serde_json::Map::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').expect("key=value");
        let key = String::from_utf8(unquote_plus(key)).expect("UTF-8");
        let value = String::from_utf8(unquote_plus(value)).expect("UTF-8");
        decoded.insert(key, Value::from(value));
    }
    let from_uri = match decoded.get("__extra__").and_then(Value::as_str) {
        Some(json) if decoded.len() == 1 => serde_json::from_str(json).expect("__extra__ is JSON"),
        _ => Value::Object(decoded),
    };
    assert!(same_json(&from_uri, &extra), "the URI does not carry the extra: {uri}");

    let yaml = text(ConnectionFormat::Yaml);
    let lines: Vec<&str> = yaml.split('\n').collect();
    assert_eq!(lines.len(), 5, "{yaml}");
    let conn_id = lines[2].strip_prefix("    - conn_id: ").expect("the conn_id line");
    assert_eq!(yaml_unquote(conn_id), spec.conn_id());
    let conn_uri = lines[4].strip_prefix("      conn_uri: ").expect("the conn_uri line");
    assert_eq!(yaml_unquote(conn_uri), uri);

    assert_eq!(spec.env_var_name(), format!("{ENV_PREFIX}{}", spec.conn_id().to_uppercase()));
    let whole = connection(spec);
    assert_eq!(whole.formats, formats);
}

/// Python's `unquote_plus`, to bytes.
fn unquote_plus(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// POSIX shell words of a line made of plain words and single-quoted strings joined by
/// backslash-escaped quotes (what `shell_quote` writes).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => words.extend(word.take()),
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    current.push(c);
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// The string a scalar `yaml_scalar` wrote reads as: plain, single-quoted (`''` is `'`) or
/// double-quoted with JSON escapes.
fn yaml_unquote(scalar: &str) -> String {
    if let Some(inner) = scalar.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        assert!(!inner.replace("''", "").contains('\''), "a lone quote inside: {scalar}");
        return inner.replace("''", "'");
    }
    if scalar.starts_with('"') {
        return serde_json::from_str(scalar).unwrap_or_else(|e| panic!("{scalar} is not a JSON string: {e}"));
    }
    assert!(
        !scalar.is_empty() && !scalar.contains([' ', ':', '#', '\'', '"']),
        "an unsafe plain scalar {scalar:?}"
    );
    scalar.to_owned()
}
