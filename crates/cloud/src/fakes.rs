//! In-memory stores for unit tests of the change engine: every write checks that its intent
//! is already on disk, and each store can be told to fail, to lose an answer, or to let
//! "someone else" change the resource around a write.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use astro_identity_domain::aws::trust_policy::TrustPolicy;
use astro_identity_domain::gcp::iam_policy::IamPolicy;

use crate::CloudError;
use crate::aws::iam::{Caller, NewRole, OidcProvider, RoleState, RoleStore};
use crate::gcp::projects::{PolicyResource, PolicyStore};
use crate::journal::Journal;

/// What the next write does besides (or instead of) writing.
#[derive(Debug)]
pub enum Fault {
    /// Refused: nothing written.
    Refuse(CloudError),
    /// Written, but the answer is lost: the caller sees this error.
    LoseAnswer(CloudError),
    /// Written, then every later read fails (the process "dies" before its outcome).
    WriteThenDie,
}

/// Checks the journal holds an intent without outcome right now: what a write must find.
pub fn intent_on_disk(journal: &Option<Journal>) {
    if let Some(journal) = journal {
        let pending = journal.pending().expect("journal reads");
        assert!(!pending.is_empty(), "a write was sent before its intent was journaled");
    }
}

pub fn unreachable() -> CloudError {
    CloudError::Unreachable { endpoint: String::from("memory"), detail: String::from("connection reset") }
}

/// Another writer of roles, run after a write: changes what the write left.
pub type OtherRoleWriter = Box<dyn FnMut(&mut BTreeMap<String, TrustPolicy>)>;

/// Another writer of a policy, run before a write lands: its policy (if any) wins the race.
pub type OtherPolicyWriter = Box<dyn FnMut(&IamPolicy) -> Option<IamPolicy>>;

/// Roles in memory, one account.
#[derive(Default)]
pub struct MemoryRoles {
    pub roles: RefCell<BTreeMap<String, TrustPolicy>>,
    pub attached: RefCell<BTreeMap<String, Vec<String>>>,
    pub inline: RefCell<BTreeMap<(String, String), String>>,
    /// OIDC providers: ARN → (issuer host and path, client ids).
    pub providers: RefCell<BTreeMap<String, (String, Vec<String>)>>,
    pub faults: RefCell<VecDeque<Fault>>,
    /// Runs right after each successful write: another writer.
    pub after_write: RefCell<Option<OtherRoleWriter>>,
    pub journal: Option<Journal>,
    pub dead: RefCell<bool>,
    pub writes: RefCell<u32>,
}

impl MemoryRoles {
    pub fn watching(journal: &Journal) -> Self {
        Self { journal: Some(journal.clone()), ..Self::default() }
    }

    pub fn with_role(self, name: &str, policy: &TrustPolicy) -> Self {
        self.roles.borrow_mut().insert(name.to_owned(), policy.clone());
        self
    }

    pub fn policy(&self, name: &str) -> Option<TrustPolicy> {
        self.roles.borrow().get(name).cloned()
    }

    fn alive(&self) -> Result<(), CloudError> {
        if *self.dead.borrow() { Err(unreachable()) } else { Ok(()) }
    }

    /// Applies `write` unless a fault says otherwise.
    fn write(&self, write: impl FnOnce(&Self)) -> Result<(), CloudError> {
        self.alive()?;
        intent_on_disk(&self.journal);
        *self.writes.borrow_mut() += 1;
        match self.faults.borrow_mut().pop_front() {
            Some(Fault::Refuse(err)) => return Err(err),
            Some(Fault::LoseAnswer(err)) => {
                write(self);
                return Err(err);
            }
            Some(Fault::WriteThenDie) => {
                write(self);
                *self.dead.borrow_mut() = true;
                return Err(unreachable());
            }
            None => write(self),
        }
        if let Some(other) = self.after_write.borrow_mut().as_mut() {
            other(&mut self.roles.borrow_mut());
        }
        Ok(())
    }
}

impl RoleStore for MemoryRoles {
    async fn oidc_provider(&self, arn: &str) -> Result<Option<OidcProvider>, CloudError> {
        self.alive()?;
        Ok(self.providers.borrow().get(arn).map(|(url, ids)| OidcProvider {
            arn: arn.to_owned(),
            url: url.clone(),
            client_ids: ids.clone(),
        }))
    }
    async fn create_oidc_provider(&self, url: &str, client_ids: &[String]) -> Result<String, CloudError> {
        let host = url.trim_start_matches("https://").to_owned();
        let arn = format!("arn:aws:iam::123456789012:oidc-provider/{host}");
        self.write(|s| {
            s.providers.borrow_mut().insert(arn.clone(), (host, client_ids.to_vec()));
        })?;
        Ok(arn)
    }
    async fn add_oidc_client_id(&self, arn: &str, client_id: &str) -> Result<(), CloudError> {
        self.write(|s| {
            if let Some((_, ids)) = s.providers.borrow_mut().get_mut(arn) {
                ids.push(client_id.to_owned());
            }
        })
    }
    async fn remove_oidc_client_id(&self, arn: &str, client_id: &str) -> Result<(), CloudError> {
        self.write(|s| {
            if let Some((_, ids)) = s.providers.borrow_mut().get_mut(arn) {
                ids.retain(|id| id != client_id);
            }
        })
    }
    async fn delete_oidc_provider(&self, arn: &str) -> Result<(), CloudError> {
        self.write(|s| {
            s.providers.borrow_mut().remove(arn);
        })
    }
    async fn roles_naming(&self, text: &str) -> Result<Vec<String>, CloudError> {
        Ok(self
            .roles
            .borrow()
            .iter()
            .filter(|(_, policy)| policy.to_compact_json().contains(text))
            .map(|(name, _)| name.clone())
            .collect())
    }

    async fn caller(&self) -> Result<Caller, CloudError> {
        Ok(Caller {
            account: String::from("123456789012"),
            arn: String::from("arn:aws:iam::123456789012:user/ada"),
        })
    }
    async fn get_role(&self, name: &str) -> Result<Option<RoleState>, CloudError> {
        self.alive()?;
        Ok(self.roles.borrow().get(name).map(|policy| RoleState {
            name: name.to_owned(),
            arn: format!("arn:aws:iam::123456789012:role/{name}"),
            path: String::from("/"),
            description: None,
            max_session_duration: None,
            trust_policy: policy.clone(),
        }))
    }
    async fn create_role(&self, spec: &NewRole, policy: &TrustPolicy) -> Result<RoleState, CloudError> {
        if self.roles.borrow().contains_key(&spec.name) {
            return Err(CloudError::AlreadyExists { what: spec.name.clone() });
        }
        self.write(|s| {
            s.roles.borrow_mut().insert(spec.name.clone(), policy.clone());
        })?;
        Ok(self.get_role(&spec.name).await?.expect("created"))
    }
    async fn update_trust_policy(&self, name: &str, policy: &TrustPolicy) -> Result<(), CloudError> {
        if !self.roles.borrow().contains_key(name) {
            return Err(CloudError::NotFound { what: name.to_owned() });
        }
        self.write(|s| {
            s.roles.borrow_mut().insert(name.to_owned(), policy.clone());
        })
    }
    async fn delete_role(&self, name: &str) -> Result<(), CloudError> {
        self.write(|s| {
            s.roles.borrow_mut().remove(name);
        })
    }
    async fn attached_policies(&self, role: &str) -> Result<Vec<String>, CloudError> {
        self.alive()?;
        Ok(self.attached.borrow().get(role).cloned().unwrap_or_default())
    }
    async fn attach_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        self.write(|s| {
            s.attached.borrow_mut().entry(role.to_owned()).or_default().push(policy_arn.to_owned())
        })
    }
    async fn detach_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        self.write(|s| {
            s.attached.borrow_mut().entry(role.to_owned()).or_default().retain(|a| a != policy_arn)
        })
    }
    async fn inline_policy(&self, role: &str, name: &str) -> Result<Option<String>, CloudError> {
        self.alive()?;
        Ok(self.inline.borrow().get(&(role.to_owned(), name.to_owned())).cloned())
    }
    async fn put_inline_policy(&self, role: &str, name: &str, document: &str) -> Result<(), CloudError> {
        self.write(|s| {
            s.inline.borrow_mut().insert((role.to_owned(), name.to_owned()), document.to_owned());
        })
    }
    async fn delete_inline_policy(&self, role: &str, name: &str) -> Result<(), CloudError> {
        self.write(|s| {
            s.inline.borrow_mut().remove(&(role.to_owned(), name.to_owned()));
        })
    }
}

/// GCP IAM policies in memory with etags, like Resource Manager: a write with a stale etag
/// is a `Conflict`.
#[derive(Default)]
pub struct MemoryPolicies {
    pub policies: RefCell<BTreeMap<String, (IamPolicy, u32)>>,
    pub faults: RefCell<VecDeque<Fault>>,
    /// Runs right before each write is checked: another writer that got there first.
    pub before_write: RefCell<Option<OtherPolicyWriter>>,
    pub journal: Option<Journal>,
    pub writes: RefCell<u32>,
}

impl MemoryPolicies {
    pub fn watching(journal: &Journal) -> Self {
        Self { journal: Some(journal.clone()), ..Self::default() }
    }

    pub fn with_policy(self, resource: &PolicyResource, policy: &IamPolicy) -> Self {
        self.policies.borrow_mut().insert(resource.name(), (policy.clone(), 1));
        self
    }

    pub fn policy(&self, resource: &PolicyResource) -> IamPolicy {
        self.policies.borrow().get(&resource.name()).map(|(p, _)| p.clone()).expect("policy")
    }

    /// Someone else's write: bumps the etag.
    pub fn set_by_someone_else(&self, resource: &PolicyResource, policy: &IamPolicy) {
        let mut policies = self.policies.borrow_mut();
        let version = policies.get(&resource.name()).map_or(1, |(_, v)| v + 1);
        policies.insert(resource.name(), (policy.clone(), version));
    }

    fn with_etag(policy: &IamPolicy, version: u32) -> IamPolicy {
        let mut value = policy.as_value().clone();
        value["etag"] = serde_json::Value::from(format!("etag-{version}"));
        IamPolicy::from_value(value).expect("valid")
    }
}

impl PolicyStore for MemoryPolicies {
    async fn get_policy(&self, resource: &PolicyResource) -> Result<IamPolicy, CloudError> {
        let policies = self.policies.borrow();
        let (policy, version) = policies
            .get(&resource.name())
            .ok_or_else(|| CloudError::NotFound { what: resource.to_string() })?;
        Ok(Self::with_etag(policy, *version))
    }
    async fn set_policy(
        &self,
        resource: &PolicyResource,
        policy: &IamPolicy,
    ) -> Result<IamPolicy, CloudError> {
        intent_on_disk(&self.journal);
        *self.writes.borrow_mut() += 1;
        let current = self.get_policy(resource).await?;
        if let Some(other) = self.before_write.borrow_mut().as_mut()
            && let Some(theirs) = other(&current)
        {
            self.set_by_someone_else(resource, &theirs);
        }
        let fault = self.faults.borrow_mut().pop_front();
        if let Some(Fault::Refuse(err)) = fault {
            return Err(err);
        }
        let version = self.policies.borrow().get(&resource.name()).map_or(0, |(_, v)| *v);
        if policy.etag() != Some(format!("etag-{version}").as_str()) {
            return Err(CloudError::Conflict { what: resource.to_string() });
        }
        self.policies.borrow_mut().insert(resource.name(), (policy.clone(), version + 1));
        match fault {
            Some(Fault::LoseAnswer(err)) => Err(err),
            _ => self.get_policy(resource).await,
        }
    }
}

/// A journal in a fresh folder, kept alive with it.
pub struct TempJournal {
    pub journal: Journal,
    _dir: tempfile::TempDir,
}

impl TempJournal {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self { journal: Journal::in_dir(dir.path()), _dir: dir }
    }
}
