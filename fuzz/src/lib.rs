//! What the fuzz targets share: splitting an input into a document and the bytes that pick
//! the edits, the check every `DomainError` must pass, and pools of valid identifiers so
//! that the edits reach past the validation into the merges.
//!
//! An input is `<document text> NUL <edit bytes>`. A file without a NUL (every seed from
//! `testdata/corpus/`) is all document, and each target then runs its default edits on it.

use arbitrary::Unstructured;
use astro_identity_domain::DomainError;
use serde_json::{Map, Value};

/// The document (lossy UTF-8, so mutated bytes still reach the parser) and the edit bytes,
/// `None` when the input has no NUL.
pub fn split_input(data: &[u8]) -> (String, Option<&[u8]>) {
    match data.iter().position(|b| *b == 0) {
        Some(at) => (String::from_utf8_lossy(&data[..at]).into_owned(), Some(&data[at + 1..])),
        None => (String::from_utf8_lossy(data).into_owned(), None),
    }
}

/// Every refusal names a field the UI knows (one of `allowed`), says what is wrong and how
/// to fix it, and reads "<field>: <problem>".
pub fn check_error(context: &str, error: &DomainError, allowed: &[&str]) {
    let field = error.field();
    assert!(
        !field.is_empty() && field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "{context}: the field {field:?} is not a field name: {error:?}"
    );
    assert!(
        allowed.contains(&field),
        "{context}: error on {field:?}, expected one of {allowed:?}: {error:?}"
    );
    let shown = error.to_string();
    let problem = shown.strip_prefix(&format!("{field}: ")).unwrap_or_else(|| {
        panic!("{context}: the message {shown:?} does not start with its field {field:?}")
    });
    assert!(!problem.trim().is_empty(), "{context}: empty problem: {error:?}");
    assert!(!error.hint().trim().is_empty(), "{context}: empty hint: {error:?}");
}

/// `Some(value)`, or `None` after checking the error.
pub fn checked<T>(context: &str, result: Result<T, DomainError>, allowed: &[&str]) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            check_error(context, &error, allowed);
            None
        }
    }
}

/// One of `pool` most of the time, else whatever the fuzzer made. Out of bytes, the first
/// of `pool`.
pub fn pick(u: &mut Unstructured<'_>, pool: &[&str]) -> String {
    let choice = u.int_in_range(0..=pool.len()).unwrap_or(0);
    match pool.get(choice) {
        Some(s) => (*s).to_owned(),
        None => u.arbitrary::<String>().unwrap_or_default(),
    }
}

/// Like [`pick`], from owned strings (values read from the document being edited).
pub fn pick_owned(u: &mut Unstructured<'_>, pool: &[String], fallback: &[&str]) -> String {
    if !pool.is_empty() && u.arbitrary::<bool>().unwrap_or(false) {
        let i = u.choose_index(pool.len()).unwrap_or(0);
        return pool[i].clone();
    }
    pick(u, fallback)
}

/// An index that is in `0..len` most of the time, and sometimes any `u32`.
pub fn index(u: &mut Unstructured<'_>, len: usize) -> u32 {
    if u.ratio(1, 8).unwrap_or(false) {
        return u.arbitrary().unwrap_or(u32::MAX);
    }
    let i = if len == 0 { 0 } else { u.choose_index(len).unwrap_or(0) };
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The top-level keys of `before` other than `skip`, with their values, must be in `after`
/// unchanged and in the same order: a merge or an edit never drops or reorders what it
/// was not asked to change.
pub fn keeps_other_fields(context: &str, before: &Value, after: &Value, skip: &[&str]) {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        panic!("{context}: not an object any more");
    };
    // Serialised, because `Map`'s `==` ignores key order.
    let kept = |map: &Map<String, Value>| -> Vec<String> {
        map.iter().filter(|(k, _)| !skip.contains(&k.as_str())).map(|(k, v)| format!("{k:?}:{v}")).collect()
    };
    assert_eq!(kept(before), kept(after), "{context}: fields other than {skip:?} changed");
}

/// Equal as JSON text: same values and the same key order (`Value`'s `==` ignores order).
pub fn same_json(a: &Value, b: &Value) -> bool {
    // Not `a == b`: that ignores key order.
    serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}

/// [`same_json`] for objects.
pub fn same_map(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    same_json(&Value::Object(a.clone()), &Value::Object(b.clone()))
}

/// The entries of a string-or-array value, as IAM reads principals and actions.
pub fn entries(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    }
}

/// Astro-style workload identities in every partition, with and without a path.
pub const ARNS: [&str; 6] = [
    "arn:aws:iam::123456789012:role/astro-fiery-nebula-1234",
    "arn:aws:iam::123456789012:role/astro-cosmic-dust-5678",
    "arn:aws:iam::111122223333:role/path/to/Astro+Deploy=1,a.b@c_d-e",
    "arn:aws-cn:iam::123456789012:role/astro-cn",
    "arn:aws-us-gov:iam::123456789012:role/a/b/astro-gov",
    "  \"arn:aws:iam::444455556666:role/quoted\"\n",
];

/// Members of every kind an allow policy holds, valid and not.
pub const MEMBERS: [&str; 10] = [
    "serviceAccount:astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com",
    "serviceAccount:123-compute@developer.gserviceaccount.com",
    "user:jane@example.com",
    "group:team@example.com",
    "domain:example.com",
    "allUsers",
    "allAuthenticatedUsers",
    "deleted:serviceAccount:old@p.iam.gserviceaccount.com?uid=1",
    "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
    "serviceAccount:p.svc.id.goog[ns/ksa]",
];

pub const ROLES: [&str; 6] = [
    "roles/bigquery.jobUser",
    "roles/storage.objectViewer",
    "roles/owner",
    "roles/viewer",
    "projects/my-project/roles/custom.role",
    "organizations/123/roles/orgRole",
];
