use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;

use astro_identity_cloud::airflow::ConnectionPlan;
use astro_identity_cloud::aws::attach_role::CmiPlan;
use astro_identity_cloud::aws::batch::BatchPlan;
use astro_identity_cloud::aws::permissions::PermissionPlan;
use astro_identity_cloud::aws::{AwsTarget, TrustChange};
use astro_identity_cloud::gcp::attach_sa::AttachSaPlan;
use astro_identity_cloud::gcp::batch::GrantItemPlan;
use astro_identity_cloud::gcp::{BindingChange, GcpTarget};
use astro_identity_cloud::journal::Journal;
use astro_identity_cloud::undo::UndoPlan;
use astro_identity_cloud::{CloudError, HostEnv, SecretStore};
use astro_identity_domain::airflow::ConnectionSpec;

use crate::astro_commands::AstroAccess;
use crate::attach_context::{AttachContext, PickedDeployment};
use crate::destination::ConnectionDestination;

/// Where an undo's resource is read and written: the credentials its preview used.
#[derive(Debug, Clone)]
pub enum UndoTarget {
    Aws(AwsTarget),
    Gcp(GcpTarget),
    Project,
    Astro(AstroAccess),
}

/// An offboarding as shown: the credentials of each cloud it reads, and its changes.
pub struct RevokePlan {
    pub aws_target: Option<AwsTarget>,
    pub gcp_target: Option<GcpTarget>,
    pub aws: Vec<TrustChange>,
    pub gcp: Vec<BindingChange>,
}

/// A plan shown to the user, with the credentials it was made with.
pub enum StoredPlan {
    Aws(AwsTarget, TrustChange),
    Gcp(GcpTarget, BindingChange),
    Connection(ConnectionDestination, ConnectionSpec, ConnectionPlan),
    Permission(AwsTarget, PermissionPlan),
    Undo(UndoTarget, UndoPlan),
    /// Boxed: the IAM plan and its Deployments are large beside the other plans.
    Attach(Box<(AwsTarget, AttachContext, CmiPlan)>),
    AttachSa(Box<(GcpTarget, AttachContext, AttachSaPlan)>),
    /// Offboarding one identity: where it was read, and the changes removing it.
    Revoke(Box<RevokePlan>),
    /// Several roles trusting the same Deployments, reviewed and applied together.
    Batch(Box<(AwsTarget, BatchPlan)>),
    /// Several grants on Google Cloud (projects × roles), reviewed and applied together.
    GcpBatch(Box<(GcpTarget, Vec<GrantItemPlan>)>),
    /// Made without credentials: exported for review, never applied.
    Offline(OfflinePlan),
}

/// A plan made without credentials. No apply command accepts it.
pub enum OfflinePlan {
    Trust(TrustChange),
    Attach(Box<(Vec<PickedDeployment>, CmiPlan)>),
    Grant(BindingChange),
    AttachSa(Box<AttachSaPlan>),
}

/// The one piece of managed state.
pub struct AppState {
    pub host: HostEnv,
    /// Opened on first use and kept; a failed open is retried next time, so starting the
    /// desktop keyring after the app works without a restart.
    keyring: Mutex<Option<Arc<SecretStore>>>,
    /// Plans shown to the user, by id: apply takes the exact plan from here, once.
    plans: std::sync::Mutex<HashMap<String, StoredPlan>>,
    next_plan: std::sync::atomic::AtomicU32,
}

impl AppState {
    pub fn from_process() -> Self {
        Self::new(HostEnv::from_process())
    }

    pub fn new(host: HostEnv) -> Self {
        Self { host, keyring: Mutex::new(None), plans: Default::default(), next_plan: Default::default() }
    }

    pub fn journal(&self) -> Journal {
        Journal::in_dir(&self.host.app_data_dir())
    }

    pub fn remember_plan(&self, plan: StoredPlan) -> String {
        let id = format!("plan-{}", self.next_plan.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        if let Ok(mut plans) = self.plans.lock() {
            plans.insert(id.clone(), plan);
        }
        id
    }

    pub fn take_plan(&self, id: &str) -> Option<StoredPlan> {
        self.plans.lock().ok()?.remove(id)
    }

    /// Reads a kept plan without taking it (an export leaves it to be applied).
    pub fn with_plan<T>(&self, id: &str, read: impl FnOnce(&StoredPlan) -> T) -> Option<T> {
        self.plans.lock().ok()?.get(id).map(read)
    }

    pub async fn keyring(&self) -> Result<Arc<SecretStore>, CloudError> {
        let mut slot = self.keyring.lock().await;
        if let Some(store) = slot.as_ref() {
            return Ok(store.clone());
        }
        let store = SecretStore::open_os_async().await?;
        *slot = Some(store.clone());
        Ok(store)
    }
}
