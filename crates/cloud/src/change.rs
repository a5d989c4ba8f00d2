//! The change engine: the one loop under every write the app makes.
//!
//! ```text
//! read → target (plan) → intent (journaled, fsync'd) → write → read back → outcome
//! ```
//!
//! A change kind ([`ChangeKind`], one small module each: `aws::trust_change`,
//! `aws::permissions`, `gcp::binding_change`, `airflow::connection_change`,
//! `airflow::requirements_file`) supplies only how to read its subject, what to write onto
//! what it read, how to write it, and how to compare what it reads with a journaled
//! before/after. The engine owns the rest, the same way for every kind:
//!
//! - the **intent** is journaled before anything is sent, so a crash leaves a pending entry
//!   that [`settle`] can decide later by re-reading;
//! - a failed write is taken as is only when the kind says it was refused before anything
//!   changed ([`ChangeKind::definite`]); any other error may follow an attempt that landed
//!   (SDK retries, a lost answer), so the subject is re-read and judged;
//! - the write is **verified** by reading back (a second look for kinds whose store has no
//!   etag), and the **outcome** journaled: `done`, `failed`, or `settled`;
//! - retries (a conflict, a throttle, a lost update) re-read and re-target: each attempt is
//!   its own intent;
//! - **undo** is the same engine run with an undo kind (its target is the inverse of the
//!   journaled change applied to what is there now), and **settling** after a crash is
//!   [`settle`]: read and judge, nothing written.
//!
//! Adding a change kind: implement [`ChangeKind`] in the module that owns the resource, add
//! a [`Subject`](crate::journal::Subject) variant for it, route it in `crate::settle` and
//! `crate::undo`, then wire its IPC command and CLI subcommand.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::CloudError;
use crate::backoff::Backoff;
use crate::journal::{Journal, JournalAction, JournalEntry, Settlement, Subject};

/// What a kind wants written onto what it read.
#[derive(Debug, Clone, PartialEq)]
pub enum Target<S> {
    /// Already as wanted: nothing is written or journaled.
    Unchanged,
    /// Write this state (`None`: delete the subject).
    Write(Option<S>),
}

/// One kind of change. `Read` is what the store returns; `State` is what the journal keeps
/// of it (the same, or less: never a value the store hides).
#[allow(async_fn_in_trait)] // used generically, never as `dyn`
pub trait ChangeKind {
    type Read;
    type State: Serialize + DeserializeOwned;

    fn subject(&self) -> Subject;
    fn action(&self) -> JournalAction;
    /// Who writes (the caller ARN, the service account), when known.
    fn actor(&self) -> String {
        String::new()
    }
    /// The journal entry this change undoes.
    fn undoes(&self) -> Option<String> {
        None
    }

    /// The subject as it is now; `None` when it does not exist.
    async fn read(&self) -> Result<Option<Self::Read>, CloudError>;
    /// What the journal keeps of a read state; `None` when it must not be kept (it holds
    /// values the store hides), which makes the change not undoable.
    fn record(&self, read: &Self::Read) -> Option<Self::State>;
    /// Why this change could not be undone, said in its intent.
    fn undo_unavailable(
        &self,
        _current: Option<&Self::Read>,
        _after: Option<&Self::State>,
    ) -> Option<String> {
        None
    }
    /// What to write onto `current`. `attempt` is 1 on the read right after the plan (a
    /// kind that applies an exact plan refuses there when the subject moved); later
    /// attempts follow a conflict or a lost update.
    fn target(&self, current: Option<&Self::Read>, attempt: u32) -> Result<Target<Self::State>, CloudError>;
    async fn write(
        &self,
        current: Option<&Self::Read>,
        after: Option<&Self::State>,
    ) -> Result<(), CloudError>;

    /// Whether `now` holds `after` (applied), `before` (not applied) or neither.
    fn judge(
        &self,
        now: Option<&Self::Read>,
        before: Option<&Self::State>,
        after: Option<&Self::State>,
    ) -> Settlement;
    /// Whether a read-back shows the change made (a merge: ours is there, others' too).
    fn holds(
        &self,
        now: Option<&Self::Read>,
        before: Option<&Self::State>,
        after: Option<&Self::State>,
    ) -> bool {
        self.judge(now, before, after) == Settlement::Applied
    }
    /// What a read showed, in words: "role data has the trust policy the change wrote".
    fn found(&self, now: Option<&Self::Read>, found: Settlement) -> String;
    /// What `VerifyFailed` says when a read-back does not hold the change.
    fn not_held(&self, now: Option<&Self::Read>, entry_id: &str) -> String;

    /// The write was refused before anything changed: take the error as is.
    fn definite(&self, err: &CloudError) -> bool {
        refused_outright(err)
    }
    /// Re-read and try again (a new intent) after this error.
    fn retry(&self, _err: &CloudError) -> bool {
        false
    }
    /// A read-back without the change means another writer overwrote it (no etag): record
    /// the attempt as failed and re-target on a fresh read.
    fn retargets_after_lost_update(&self) -> bool {
        false
    }
    /// Read back a second time after this long (eventually consistent stores; writers that
    /// may overwrite ours).
    fn second_look(&self, _held: bool) -> Option<Duration> {
        None
    }
}

/// What [`apply`] did.
#[derive(Debug)]
pub struct Applied<R> {
    /// False when the subject already was as wanted.
    pub written: bool,
    pub journal_id: Option<String>,
    /// The subject as read back (or as read, when nothing was written).
    pub now: Option<R>,
    /// Read-modify-write cycles (1 without conflicts or lost updates).
    pub attempts: u32,
}

/// Runs one change: read, target, intent, write, verify, outcome — retried on what the kind
/// retries, at most `backoff.attempts` cycles.
pub async fn apply<K: ChangeKind>(
    kind: &K,
    journal: &Journal,
    backoff: Backoff,
) -> Result<Applied<K::Read>, CloudError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = kind.read().await?;
        let after = match kind.target(current.as_ref(), attempt)? {
            Target::Unchanged => {
                return Ok(Applied { written: false, journal_id: None, now: current, attempts: attempt });
            }
            Target::Write(after) => after,
        };
        let before = current.as_ref().and_then(|c| kind.record(c));
        let entry = intent(kind, current.as_ref(), before.as_ref(), after.as_ref())?;
        journal.intend(&entry)?;
        crash_window(CrashPoint::AfterIntent).await;
        let written = kind.write(current.as_ref(), after.as_ref()).await;
        crash_window(CrashPoint::AfterWrite).await;
        let settled = match written {
            Ok(()) => false,
            Err(err) => {
                match after_failed_write(kind, journal, &entry, before.as_ref(), after.as_ref(), err).await {
                    Ok(()) => true,
                    Err(err) if kind.retry(&err) && attempt < backoff.attempts => {
                        tokio::time::sleep(backoff.delay(attempt - 1)).await;
                        continue;
                    }
                    Err(err) => return Err(err),
                }
            }
        };
        match verify(kind, journal, &entry, settled, before.as_ref(), after.as_ref()).await {
            Ok(now) => {
                return Ok(Applied { written: true, journal_id: Some(entry.id), now, attempts: attempt });
            }
            Err(CloudError::VerifyFailed { what }) if kind.retargets_after_lost_update() => {
                if attempt >= backoff.attempts {
                    return Err(CloudError::VerifyFailed {
                        what: format!("other writers kept overwriting it ({attempt} attempts): {what}"),
                    });
                }
                tokio::time::sleep(backoff.delay(attempt - 1)).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Where a crash test may hold the process, to kill it between the intent and the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CrashPoint {
    AfterIntent,
    AfterWrite,
}

/// The crash tests' hook: with `ASTRO_IDENTITY_TEST_PAUSE` set to `after-intent` or
/// `after-write`, the process waits there (60 s) so a test can SIGKILL it in that window —
/// for writes no proxy can hold, such as a local file. It only ever delays; nothing else
/// changes, and the variable is unset in normal use.
async fn crash_window(point: CrashPoint) {
    let wanted = match std::env::var("ASTRO_IDENTITY_TEST_PAUSE").as_deref() {
        Ok("after-intent") => CrashPoint::AfterIntent,
        Ok("after-write") => CrashPoint::AfterWrite,
        _ => return,
    };
    if wanted == point {
        eprintln!("paused {point:?} for a crash test (ASTRO_IDENTITY_TEST_PAUSE)");
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

/// What an undo or a plan would write now, without writing: the subject as read and the
/// kind's target for it.
pub async fn preview<K: ChangeKind>(kind: &K) -> Result<(Option<K::Read>, Target<K::State>), CloudError> {
    let current = kind.read().await?;
    let target = kind.target(current.as_ref(), 1)?;
    Ok((current, target))
}

/// Decides a pending intent by re-reading its subject: nothing is written.
pub async fn settle<K: ChangeKind>(
    kind: &K,
    entry: &JournalEntry,
) -> Result<(Settlement, String), CloudError> {
    let before: Option<K::State> = typed(entry.before.as_ref(), &entry.id)?;
    let after: Option<K::State> = typed(entry.after.as_ref(), &entry.id)?;
    let now = kind.read().await?;
    let found = kind.judge(now.as_ref(), before.as_ref(), after.as_ref());
    Ok((found, kind.found(now.as_ref(), found)))
}

/// A journaled state in its kind's type.
pub fn typed<S: DeserializeOwned>(state: Option<&Value>, entry_id: &str) -> Result<Option<S>, CloudError> {
    state
        .map(|value| {
            serde_json::from_value(value.clone()).map_err(|e| CloudError::Journal {
                action: "read",
                detail: format!("journal entry {entry_id} holds a state of another kind: {e}"),
            })
        })
        .transpose()
}

fn to_value<S: Serialize>(state: &S) -> Result<Value, CloudError> {
    serde_json::to_value(state).map_err(|e| CloudError::Journal { action: "written", detail: e.to_string() })
}

fn intent<K: ChangeKind>(
    kind: &K,
    current: Option<&K::Read>,
    before: Option<&K::State>,
    after: Option<&K::State>,
) -> Result<JournalEntry, CloudError> {
    let mut entry = JournalEntry::now(&kind.actor(), kind.subject(), kind.action());
    entry.before = before.map(to_value).transpose()?;
    entry.after = after.map(to_value).transpose()?;
    entry.undoes = kind.undoes();
    entry.undo_unavailable = kind.undo_unavailable(current, after);
    Ok(entry)
}

/// After a write call failed: did it take effect anyway (its answer lost to a reset or a
/// timeout)? `Ok(())`: it is in place (recorded as settled, applied). `Err` gives back the
/// error, the intent recorded as failed or settled — or, when not even a re-read worked,
/// left pending for the next start to settle.
async fn after_failed_write<K: ChangeKind>(
    kind: &K,
    journal: &Journal,
    entry: &JournalEntry,
    before: Option<&K::State>,
    after: Option<&K::State>,
    err: CloudError,
) -> Result<(), CloudError> {
    if kind.definite(&err) {
        journal.failed(&entry.id, &err.to_string())?;
        return Err(err);
    }
    match kind.read().await {
        Ok(now) => match kind.judge(now.as_ref(), before, after) {
            Settlement::Applied => {
                let found = kind.found(now.as_ref(), Settlement::Applied);
                journal.settled(
                    &entry.id,
                    Settlement::Applied,
                    &format!("the answer was lost ({err}); {found}"),
                )?;
                Ok(())
            }
            Settlement::NotApplied => {
                journal.failed(&entry.id, &err.to_string())?;
                Err(err)
            }
            Settlement::ChangedBySomeoneElse => {
                let found = kind.found(now.as_ref(), Settlement::ChangedBySomeoneElse);
                journal.settled(&entry.id, Settlement::ChangedBySomeoneElse, &format!("{err}; {found}"))?;
                Err(err)
            }
        },
        Err(_) if refused_outright(&err) => {
            journal.failed(&entry.id, &err.to_string())?;
            Err(err)
        }
        Err(_) => Err(err),
    }
}

/// Reads the subject back after a write and journals the outcome (unless `settled` did).
async fn verify<K: ChangeKind>(
    kind: &K,
    journal: &Journal,
    entry: &JournalEntry,
    settled: bool,
    before: Option<&K::State>,
    after: Option<&K::State>,
) -> Result<Option<K::Read>, CloudError> {
    let mut read = kind.read().await;
    if let Ok(now) = &read
        && let Some(wait) = kind.second_look(kind.holds(now.as_ref(), before, after))
    {
        tokio::time::sleep(wait).await;
        read = kind.read().await;
    }
    let now = match read {
        Ok(now) => now,
        Err(err) => {
            if !settled {
                let reason = format!("the write was accepted; reading it back failed: {err}");
                journal.settled(&entry.id, Settlement::Applied, &reason)?;
            }
            return Err(err);
        }
    };
    if kind.holds(now.as_ref(), before, after) {
        if !settled {
            journal.done(&entry.id)?;
        }
        return Ok(now);
    }
    if !settled {
        if kind.retargets_after_lost_update() {
            journal
                .failed(&entry.id, "another writer overwrote it before it was verified (a lost update)")?;
        } else {
            let found = kind.judge(now.as_ref(), before, after);
            let words = kind.found(now.as_ref(), found);
            journal.settled(&entry.id, found, &format!("reads back differently: {words}"))?;
        }
    }
    Err(CloudError::VerifyFailed { what: kind.not_held(now.as_ref(), &entry.id) })
}

/// The plain judgement: `now` equal to `after` is applied, to `before` not applied, else
/// someone else's state.
pub fn judge_equal<T: PartialEq>(now: Option<&T>, before: Option<&T>, after: Option<&T>) -> Settlement {
    if now == after {
        Settlement::Applied
    } else if now == before {
        Settlement::NotApplied
    } else {
        Settlement::ChangedBySomeoneElse
    }
}

/// Errors a cloud answers instead of doing anything: the write did not happen.
pub fn refused_outright(err: &CloudError) -> bool {
    matches!(
        err,
        CloudError::Credentials { .. }
            | CloudError::Domain(_)
            | CloudError::KeyringUnavailable { .. }
            | CloudError::AccessDenied { .. }
            | CloudError::MalformedPolicy { .. }
            | CloudError::LimitExceeded { .. }
            | CloudError::Refused { .. }
            | CloudError::RemoteChanged { .. }
    )
}

/// Equal as JSON values: stores may re-serialise documents.
pub fn same_json(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
