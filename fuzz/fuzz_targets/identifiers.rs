//! Identifiers as people paste them: role ARNs (`WorkloadIdentityArn`, `parse_identities`),
//! role names and paths, service account e-mails, project ids, IAM members, and the small
//! validators of the connection form.
//!
//! Each parser gets the input text, and again between the quotes and whitespace people
//! paste around it. Asserts: no panic; a refusal is on that parser's own field with a
//! problem and a hint; what is accepted is the trimmed text, parses again to the same
//! value (and through serde), and its parts (partition, account, path, name, project, …)
//! are valid on their own and put back together give the text.

#![no_main]

use std::str::FromStr;

use astro_identity_domain::airflow::formats::ConnectionFormat;
use astro_identity_domain::airflow::{validate_conn_id, validate_external_id, validate_region};
use astro_identity_domain::aws::permission_policy::validate_policy_name;
use astro_identity_domain::aws::{RoleName, RolePath, WorkloadIdentityArn, parse_identities};
use astro_identity_domain::gcp::{ProjectId, ServiceAccountEmail, parse_member};
use astro_identity_fuzz::{check_error, checked};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check_all(&text);
    check_all(&format!(" \u{201c}{text}\u{201d}\n"));
    identities(&text);
});

fn check_all(text: &str) {
    if let Some(arn) = checked("WorkloadIdentityArn::parse", WorkloadIdentityArn::parse(text), &["identity"])
    {
        arn_parts(&arn);
    }
    if let Some(name) = checked("RoleName::parse", RoleName::parse(text), &["role_name"]) {
        assert_eq!(name.as_str(), text.trim());
        assert_eq!(RoleName::parse(name.as_str()).as_ref(), Ok(&name));
        assert!((1..=64).contains(&name.as_str().len()));
    }
    if let Some(path) = checked("RolePath::parse", RolePath::parse(text), &["role_path"]) {
        assert!(path.as_str().starts_with('/') && path.as_str().ends_with('/'), "{path}");
        assert_eq!(RolePath::parse(path.as_str()).as_ref(), Ok(&path));
    }
    if let Some(email) =
        checked("ServiceAccountEmail::parse", ServiceAccountEmail::parse(text), &["service_account"])
    {
        service_account_parts(&email);
    }
    if let Some(project) = checked("ProjectId::parse", ProjectId::parse(text), &["project_id"]) {
        assert_eq!(ProjectId::parse(project.as_str()).as_ref(), Ok(&project));
        assert_eq!(project.to_string(), project.as_str());
        serde_round_trip(&project);
    }
    if let Some(member) = checked("parse_member", parse_member(text), &["member"]) {
        assert_eq!(parse_member(&member).as_ref(), Ok(&member), "parse_member is idempotent");
        assert!(!member.contains(char::is_whitespace));
    }
    let _ = checked("validate_conn_id", validate_conn_id(text), &["conn_id"]);
    let _ = checked("validate_region", validate_region(text), &["region_name"]);
    let _ = checked("validate_external_id", validate_external_id(text), &["external_id"]);
    let _ = checked("validate_policy_name", validate_policy_name(text), &["policy_name"]);
    if let Some(format) = checked("ConnectionFormat::from_str", ConnectionFormat::from_str(text), &["format"])
    {
        assert_eq!(ConnectionFormat::from_str(format.as_str()), Ok(format));
    }
}

fn arn_parts(arn: &WorkloadIdentityArn) {
    let text = arn.as_str();
    assert_eq!(WorkloadIdentityArn::parse(text).as_ref(), Ok(arn), "an accepted ARN parses again");
    assert_eq!(arn.to_string(), text);
    let account = arn.account();
    assert!(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()), "account {account:?}");
    let name = RoleName::parse(arn.role_name()).expect("the role name of an accepted ARN is valid");
    assert_eq!(name.as_str(), arn.role_name());
    let path = RolePath::parse(&arn.role_path()).expect("the role path of an accepted ARN is valid");
    assert_eq!(path.as_str(), arn.role_path());
    let rebuilt =
        format!("arn:{}:iam::{account}:role{}{}", arn.partition(), arn.role_path(), arn.role_name());
    assert_eq!(rebuilt, text, "the parts of an ARN put back together");
    serde_round_trip(arn);
}

fn service_account_parts(email: &ServiceAccountEmail) {
    let text = email.as_str();
    assert_eq!(ServiceAccountEmail::parse(text).as_ref(), Ok(email), "an accepted e-mail parses again");
    assert_eq!(format!("{}@{}", email.name(), email.domain()), text);
    assert_eq!(parse_member(&email.member()), Ok(email.member()), "its member is a valid member");
    assert_eq!(ServiceAccountEmail::parse(&email.member()).as_ref(), Ok(email), "the member form parses too");
    if let Some(project) = email.project() {
        ProjectId::parse(project).expect("the project of an e-mail is a valid project id");
    }
    let _ = email.is_google_managed();
    serde_round_trip(email);
}

fn identities(text: &str) {
    match parse_identities(text) {
        Ok(list) => {
            assert!(!list.is_empty());
            for (i, arn) in list.iter().enumerate() {
                arn_parts(arn);
                assert!(!list[..i].contains(arn), "parse_identities keeps duplicates");
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal without a reason");
            for error in errors {
                check_error("parse_identities", &error.error, &["identity"]);
            }
        }
    }
}

fn serde_round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).expect("serialises");
    let back: T = serde_json::from_str(&json).expect("its own JSON deserialises");
    assert_eq!(&back, value);
}
