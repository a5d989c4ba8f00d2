//! A cluster's IAM OIDC identity provider as a change kind of the engine (`crate::change`):
//! Customer Managed Identity needs one per cluster issuer, with `sts.amazonaws.com` among its
//! client ids. Ensuring it creates the provider or adds the client id; the undo deletes only
//! a provider the app created (and no role still names), or removes only the client id it
//! added.

use serde::{Deserialize, Serialize};

use crate::CloudError;
use crate::aws::iam::{OidcProvider, RoleStore};
use crate::aws::trust_change::refused_before_sending;
use crate::backoff::Backoff;
use crate::change::{self, ChangeKind, Target, typed};
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement, Subject};

/// The client id (audience) STS expects in the web identity token.
pub const STS_CLIENT_ID: &str = "sts.amazonaws.com";

/// What the journal keeps of a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderState {
    pub client_ids: Vec<String>,
}

/// One provider as planned: what is there now and what ensuring it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ProviderPlan {
    pub account: String,
    pub arn: String,
    /// The issuer: host and path, as IAM keeps it.
    pub url: String,
    /// `None`: no provider yet, it will be created.
    pub client_ids: Option<Vec<String>>,
}

impl ProviderPlan {
    /// Whether ensuring it writes anything.
    pub fn changes(&self) -> bool {
        self.client_ids.as_ref().is_none_or(|ids| !ids.iter().any(|id| id == STS_CLIENT_ID))
    }

    /// "create OIDC provider …" / "add client id … to …" / "OIDC provider … is ready", for plans.
    pub fn describe(&self) -> String {
        match &self.client_ids {
            None => format!("create OIDC provider {} with client id {STS_CLIENT_ID}", self.url),
            Some(_) if self.changes() => {
                format!("add client id {STS_CLIENT_ID} to OIDC provider {}", self.url)
            }
            Some(_) => format!("OIDC provider {} is ready (client id {STS_CLIENT_ID})", self.url),
        }
    }
}

/// Reads the provider for `url` (host and path) in `account`. Writes nothing.
pub async fn plan_provider(
    store: &impl RoleStore,
    account: &str,
    partition: &str,
    url: &str,
) -> Result<ProviderPlan, CloudError> {
    let arn = format!("arn:{partition}:iam::{account}:oidc-provider/{url}");
    let now = store.oidc_provider(&arn).await?;
    Ok(ProviderPlan {
        account: account.to_owned(),
        arn,
        url: url.to_owned(),
        client_ids: now.map(|p| p.client_ids),
    })
}

/// Creates the provider or adds the client id, as planned; verified and journaled. Returns
/// the journal entry's id, `None` when nothing needed writing.
pub async fn ensure_provider(
    store: &impl RoleStore,
    plan: &ProviderPlan,
    actor: &str,
    journal: &Journal,
) -> Result<Option<String>, CloudError> {
    let kind = ProviderChange {
        store,
        plan: plan.clone(),
        actor: actor.to_owned(),
        op: ProviderOp::Ensure { exists: plan.client_ids.is_some() },
    };
    Ok(change::apply(&kind, journal, Backoff::ONCE).await?.journal_id)
}

pub(crate) enum ProviderOp<'a> {
    Ensure {
        exists: bool,
    },
    /// Undo of an ensure: delete what it created, or remove the client id it added.
    Undo {
        entry: &'a JournalEntry,
    },
    /// Settling an interrupted ensure or undo: reads and judges only.
    Settle {
        action: JournalAction,
    },
}

pub(crate) struct ProviderChange<'a, S> {
    pub store: &'a S,
    pub plan: ProviderPlan,
    pub actor: String,
    pub op: ProviderOp<'a>,
}

impl<'a, S: RoleStore> ProviderChange<'a, S> {
    /// The kind that undoes (or settles) `entry`, an OIDC provider change.
    pub(crate) fn for_entry(store: &'a S, entry: &'a JournalEntry, undo: bool) -> Result<Self, CloudError> {
        let Subject::OidcProvider { account, arn, url } = &entry.subject else {
            return Err(CloudError::Refused {
                reason: format!("journal entry {} is not an OIDC provider change", entry.id),
                hint: String::from("Undo it from where it was made."),
            });
        };
        let plan =
            ProviderPlan { account: account.clone(), arn: arn.clone(), url: url.clone(), client_ids: None };
        let op = if undo { ProviderOp::Undo { entry } } else { ProviderOp::Settle { action: entry.action } };
        Ok(Self { store, plan, actor: String::new(), op })
    }

    /// Refuses to delete a provider some role still names in its trust policy.
    pub(crate) async fn check_unused(&self) -> Result<(), CloudError> {
        let ProviderOp::Undo { entry } = &self.op else { return Ok(()) };
        if entry.action != JournalAction::CreateOidcProvider {
            return Ok(());
        }
        let users = self.store.roles_naming(&self.plan.arn).await?;
        if users.is_empty() {
            return Ok(());
        }
        Err(CloudError::Refused {
            reason: format!(
                "OIDC provider {} is still named in the trust policy of role {}",
                self.plan.url,
                users.join(", ")
            ),
            hint: String::from(
                "Undo the trust-policy change first (or remove the statement), then this one.",
            ),
        })
    }
}

fn state_of(provider: Option<&OidcProvider>) -> Option<ProviderState> {
    provider.map(|p| ProviderState { client_ids: p.client_ids.clone() })
}

fn same_ids(a: Option<&ProviderState>, b: Option<&ProviderState>) -> bool {
    let sorted = |s: Option<&ProviderState>| {
        s.map(|s| {
            let mut ids = s.client_ids.clone();
            ids.sort();
            ids.dedup();
            ids
        })
    };
    sorted(a) == sorted(b)
}

impl<S: RoleStore> ChangeKind for ProviderChange<'_, S> {
    type Read = OidcProvider;
    type State = ProviderState;

    fn subject(&self) -> Subject {
        Subject::OidcProvider {
            account: self.plan.account.clone(),
            arn: self.plan.arn.clone(),
            url: self.plan.url.clone(),
        }
    }
    fn action(&self) -> JournalAction {
        match &self.op {
            ProviderOp::Ensure { exists: false } => JournalAction::CreateOidcProvider,
            ProviderOp::Ensure { exists: true } => JournalAction::AddOidcClientId,
            ProviderOp::Undo { entry } if entry.action == JournalAction::CreateOidcProvider => {
                JournalAction::DeleteOidcProvider
            }
            ProviderOp::Undo { .. } => JournalAction::RemoveOidcClientId,
            ProviderOp::Settle { action } => *action,
        }
    }
    fn actor(&self) -> String {
        self.actor.clone()
    }
    fn undoes(&self) -> Option<String> {
        match &self.op {
            ProviderOp::Undo { entry } => Some(entry.id.clone()),
            _ => None,
        }
    }
    async fn read(&self) -> Result<Option<OidcProvider>, CloudError> {
        self.store.oidc_provider(&self.plan.arn).await
    }
    fn record(&self, read: &OidcProvider) -> Option<ProviderState> {
        state_of(Some(read))
    }
    fn target(
        &self,
        current: Option<&OidcProvider>,
        attempt: u32,
    ) -> Result<Target<ProviderState>, CloudError> {
        let url = &self.plan.url;
        match &self.op {
            ProviderOp::Ensure { exists } => match current {
                None if *exists && attempt == 1 => Err(CloudError::RemoteChanged {
                    what: format!("OIDC provider {url} (it was deleted)"),
                    since: "the plan was shown",
                }),
                None => Ok(Target::Write(Some(ProviderState { client_ids: vec![STS_CLIENT_ID.to_owned()] }))),
                Some(p) if p.client_ids.iter().any(|id| id == STS_CLIENT_ID) => Ok(Target::Unchanged),
                Some(p) => {
                    let mut client_ids = p.client_ids.clone();
                    client_ids.push(STS_CLIENT_ID.to_owned());
                    Ok(Target::Write(Some(ProviderState { client_ids })))
                }
            },
            ProviderOp::Undo { entry } if entry.action == JournalAction::CreateOidcProvider => {
                match current {
                    None => Ok(Target::Unchanged),
                    Some(_) => Ok(Target::Write(None)),
                }
            }
            ProviderOp::Undo { entry } => {
                let before: Option<ProviderState> = typed(entry.before.as_ref(), &entry.id)?;
                let Some(p) = current else {
                    return Err(CloudError::RemoteChanged {
                        what: format!("OIDC provider {url} (it was deleted)"),
                        since: "the change being undone",
                    });
                };
                if before.is_some_and(|b| b.client_ids.iter().any(|id| id == STS_CLIENT_ID)) {
                    return Ok(Target::Unchanged);
                }
                let client_ids: Vec<String> =
                    p.client_ids.iter().filter(|id| *id != STS_CLIENT_ID).cloned().collect();
                if client_ids.len() == p.client_ids.len() {
                    return Ok(Target::Unchanged);
                }
                Ok(Target::Write(Some(ProviderState { client_ids })))
            }
            ProviderOp::Settle { .. } => Ok(Target::Unchanged),
        }
    }
    async fn write(
        &self,
        current: Option<&OidcProvider>,
        after: Option<&ProviderState>,
    ) -> Result<(), CloudError> {
        match (current, after) {
            (None, Some(after)) => {
                self.store
                    .create_oidc_provider(&format!("https://{}", self.plan.url), &after.client_ids)
                    .await?;
                Ok(())
            }
            (Some(now), Some(after)) => {
                for id in after.client_ids.iter().filter(|id| !now.client_ids.contains(id)) {
                    self.store.add_oidc_client_id(&self.plan.arn, id).await?;
                }
                for id in now.client_ids.iter().filter(|id| !after.client_ids.contains(id)) {
                    self.store.remove_oidc_client_id(&self.plan.arn, id).await?;
                }
                Ok(())
            }
            (Some(_), None) => self.store.delete_oidc_provider(&self.plan.arn).await,
            (None, None) => Ok(()),
        }
    }
    fn judge(
        &self,
        now: Option<&OidcProvider>,
        before: Option<&ProviderState>,
        after: Option<&ProviderState>,
    ) -> Settlement {
        let now = state_of(now);
        if same_ids(now.as_ref(), after) {
            Settlement::Applied
        } else if same_ids(now.as_ref(), before) {
            Settlement::NotApplied
        } else {
            Settlement::ChangedBySomeoneElse
        }
    }
    fn found(&self, now: Option<&OidcProvider>, _: Settlement) -> String {
        match now {
            None => format!("there is no OIDC provider {}", self.plan.url),
            Some(p) => format!("OIDC provider {} has client ids {}", self.plan.url, p.client_ids.join(", ")),
        }
    }
    fn not_held(&self, _: Option<&OidcProvider>, entry_id: &str) -> String {
        format!("OIDC provider {} does not read back as written (journal entry {entry_id})", self.plan.url)
    }
    fn definite(&self, err: &CloudError) -> bool {
        refused_before_sending(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{MemoryRoles, TempJournal};
    use crate::undo::{apply_aws, plan_aws};

    const ARN: &str = "arn:aws:iam::123456789012:oidc-provider/oidc.example.com/id/1";

    fn with_provider(store: MemoryRoles, ids: &[&str]) -> MemoryRoles {
        let ids = ids.iter().map(|s| (*s).to_owned()).collect();
        store.providers.borrow_mut().insert(ARN.to_owned(), ("oidc.example.com/id/1".to_owned(), ids));
        store
    }

    fn ids(store: &MemoryRoles) -> Option<Vec<String>> {
        store.providers.borrow().get(ARN).map(|(_, ids)| ids.clone())
    }

    // moto has no AddClientIDToOpenIDConnectProvider: this path is proven here.
    #[tokio::test]
    async fn the_client_id_is_added_journaled_and_undone_alone() {
        let t = TempJournal::new();
        let store = with_provider(MemoryRoles::watching(&t.journal), &["other"]);
        let plan = plan_provider(&store, "123456789012", "aws", "oidc.example.com/id/1").await.expect("plan");
        assert!(plan.changes());
        let id = ensure_provider(&store, &plan, "me", &t.journal).await.expect("applied").expect("written");
        assert_eq!(ids(&store), Some(vec!["other".into(), STS_CLIENT_ID.into()]));
        let entry = t.journal.entries().expect("read").pop().expect("entry");
        assert_eq!((entry.id.as_str(), entry.action), (id.as_str(), JournalAction::AddOidcClientId));

        // Ensuring again writes nothing.
        let again =
            plan_provider(&store, "123456789012", "aws", "oidc.example.com/id/1").await.expect("plan");
        assert!(!again.changes());
        assert_eq!(ensure_provider(&store, &again, "me", &t.journal).await.expect("ok"), None);

        let undo = plan_aws(&store, &t.journal, Some(&id)).await.expect("undo plan");
        assert!(undo.changed);
        apply_aws(&store, &t.journal, &undo).await.expect("undone");
        assert_eq!(ids(&store), Some(vec!["other".into()]), "only our client id went; the provider stays");
    }

    #[tokio::test]
    async fn a_provider_deleted_after_the_plan_is_not_silently_recreated() {
        let t = TempJournal::new();
        let store = with_provider(MemoryRoles::watching(&t.journal), &["other"]);
        let plan = plan_provider(&store, "123456789012", "aws", "oidc.example.com/id/1").await.expect("plan");
        store.providers.borrow_mut().clear();
        let err = ensure_provider(&store, &plan, "me", &t.journal).await.expect_err("moved");
        assert_eq!(err.code(), "remote_changed");
        assert!(store.providers.borrow().is_empty());
    }
}
