//! Bounded exponential backoff with jitter, for whole read-modify-write cycles the SDKs do
//! not retry themselves (GCP etag conflicts, AWS lost updates).

use std::time::Duration;

/// Exponential backoff with jitter, bounded in attempts.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub attempts: u32,
    pub first_delay: Duration,
    /// The doubling stops here, so many concurrent writers still finish in bounded time.
    pub max_delay: Duration,
}

impl Backoff {
    /// Like `gcloud`: retries from 1 s, doubling.
    pub const DEFAULT: Backoff =
        Backoff { attempts: 5, first_delay: Duration::from_secs(1), max_delay: Duration::from_secs(16) };

    /// One attempt, no retry: for writes whose conflicts need a person (a re-plan).
    pub const ONCE: Backoff =
        Backoff { attempts: 1, first_delay: Duration::from_millis(0), max_delay: Duration::from_millis(0) };

    pub fn delay(&self, attempt: u32) -> Duration {
        let base = self.first_delay.saturating_mul(1 << attempt.min(16)).min(self.max_delay);
        // Jitter from the clock's nanoseconds: enough to spread concurrent writers apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        base + base.mul_f64(f64::from(nanos % 1000) / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Backoff;

    #[test]
    fn backoff_doubles_then_stops_at_the_cap() {
        let backoff = Backoff {
            attempts: 5,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
        };
        // Each delay is its base plus up to 100% jitter.
        for (attempt, base) in [(0, 100), (1, 200), (2, 400), (3, 400), (9, 400)] {
            let delay = backoff.delay(attempt);
            assert!(
                delay >= Duration::from_millis(base) && delay < Duration::from_millis(2 * base),
                "attempt {attempt}: {delay:?}"
            );
        }
    }
}
