//! Sending from several processes at once: `--partition K/N` keeps the users whose stable hash
//! falls in partition K of N (each user's events stay in one process, in order), and
//! `--redis-url` shares the service's rate budget with every other sender through Redis.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dfinery_core::ratelimit::{RedisBudget, RedisBudgetError};
use dfinery_core::{Identifier, Identity};

use crate::cli::SendArgs;
use crate::exit::CliError;

/// Partition `index` (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// From 1 to `count`.
    pub index: u32,
    /// How many partitions the users are split into.
    pub count: u32,
}

impl Partition {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Partition, String> {
        let bad = || format!("`{text}` is not K/N with 1 <= K <= N; write e.g. `2/4`");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Partition { index, count })
    }

    /// Whether `identity`'s events belong to this partition: the FNV-1a hash of its
    /// `external_id` (or, without one, of its first identifier), modulo `count`. The hash is
    /// fixed, so every process and every version splits the users the same way.
    pub fn contains(&self, identity: &Identity) -> bool {
        // `external_id` first, then the others in a fixed order (not `Identifier::ALL`'s, so
        // that a user keeps their partition).
        let key = [
            Identifier::ExternalId,
            Identifier::Email,
            Identifier::PhoneNo,
            Identifier::KakaoUserId,
            Identifier::LineUserId,
        ]
        .into_iter()
        .find_map(|identifier| identity.get(identifier).map(|id| (identifier.name(), id)));
        let Some((kind, id)) = key else {
            return self.index == 1;
        };
        let hash = fnv1a(kind.bytes().chain([0]).chain(id.bytes()));
        hash % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// This partition's own state folder, so each partition resumes on its own: inside the
    /// `--state-dir` given, `DIR/part-K-of-N` (a volume mounted there keeps every partition's
    /// state), else beside the file, `FILE.dfinery-send.part-K-of-N`.
    pub fn state_dir(&self, file: &Path, dir: Option<&Path>) -> PathBuf {
        let name = format!("part-{}-of-{}", self.index, self.count);
        match dir {
            Some(dir) => dir.join(name),
            None => {
                let mut beside = file.file_name().unwrap_or_default().to_owned();
                beside.push(format!(".dfinery-send.{name}"));
                file.with_file_name(beside)
            }
        }
    }

    /// Where earlier versions kept this partition's state with `--state-dir DIR`: beside the
    /// folder given, `DIR.part-K-of-N`.
    pub fn former_state_dir(&self, dir: &Path) -> PathBuf {
        let mut name = dir.file_name().unwrap_or_default().to_owned();
        name.push(format!(".part-{}-of-{}", self.index, self.count));
        dir.with_file_name(name)
    }
}

/// 64-bit FNV-1a.
fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The shared budget `--redis-url` asks for, for `service_id`; `None` without the flag.
///
/// # Errors
///
/// A configuration error for a URL that does not parse or a setting out of range.
pub fn budget(args: &SendArgs, service_id: &str) -> Result<Option<Arc<RedisBudget>>, CliError> {
    // Never empty: refused when the arguments are parsed.
    let Some(url) = args.redis_url.as_deref() else {
        return Ok(None);
    };
    let instances = args
        .expected_instances
        .or(args.partition.map(|p| p.count))
        .unwrap_or(1);
    let mut builder = RedisBudget::builder(url, service_id).expected_instances(instances);
    for &(api, limit) in &args.rate_limits {
        // At most a twentieth of a window's budget per Redis round trip (and at once): within
        // the budget's headroom (5 %), so that a lease taken at once after a pause, on top of
        // the pace, does not take a window past its limit.
        let lease = u32::try_from((limit.limit / 20).clamp(1, 16)).unwrap_or(1);
        builder = builder
            .limit(api, limit.limit, limit.window.duration())
            .lease(api, lease);
    }
    let budget = builder.build().map_err(|err| {
        // The error names the setting; its cause (why a URL did not parse) is its source.
        let mut message = match std::error::Error::source(&err) {
            Some(source) => format!("{err} ({source})"),
            None => err.to_string(),
        };
        // Where the URL came from: a user who never typed it had set the variable.
        if matches!(err, RedisBudgetError::Url { .. }) {
            message.push_str(if args.from_env.has("redis_url") {
                "; it came from DFINERY_REDIS_URL"
            } else {
                "; it came from --redis-url"
            });
        }
        CliError::config(message)
    })?;
    Ok(Some(Arc::new(budget)))
}

/// Says at the end of a send when the shared budget paced requests alone because its Redis
/// could not be reached (or refused this instance): those requests were not counted against
/// the fleet's budget, so with other senders running the service's limit may have been
/// exceeded. The warning at the start of the outage may have scrolled away by then.
pub fn warn_if_unshared(budget: &RedisBudget) {
    let stats = budget.stats();
    if stats.fallback_permits > 0 {
        tracing::warn!(
            "{} paced by this instance alone, not by the shared rate budget, because its Redis could not be reached or refused this instance; with other senders running, the service's limit may have been exceeded (check `--redis-url`)",
            match stats.fallback_permits {
                1 => "1 request was".to_owned(),
                n => format!("{n} requests were"),
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_and_refuse_out_of_range() {
        assert_eq!(
            Partition::parse("2/4").unwrap(),
            Partition { index: 2, count: 4 }
        );
        for bad in ["0/4", "5/4", "2", "a/b", "1/0"] {
            assert!(Partition::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_user_falls_in_exactly_one_partition_and_they_are_balanced() {
        let mut sizes = [0u32; 4];
        for n in 0..4_000 {
            let user = Identity::new(Identifier::ExternalId, format!("user-{n}")).unwrap();
            let owners: Vec<u32> = (1..=4)
                .filter(|&k| Partition { index: k, count: 4 }.contains(&user))
                .collect();
            assert_eq!(owners.len(), 1, "user-{n} in {owners:?}");
            sizes[owners[0] as usize - 1] += 1;
        }
        assert!(
            sizes.iter().all(|&s| (800..1_200).contains(&s)),
            "{sizes:?}"
        );
        // The hash is fixed: the same user always lands in the same partition.
        let user = Identity::new(Identifier::ExternalId, "dfn-user-123").unwrap();
        assert_eq!(fnv1a("external_id\0dfn-user-123".bytes()) % 4, {
            let k = (1..=4u32)
                .find(|&k| Partition { index: k, count: 4 }.contains(&user))
                .unwrap();
            u64::from(k - 1)
        });
    }

    #[test]
    fn each_partition_keeps_its_own_state() {
        let p = Partition { index: 2, count: 4 };
        assert_eq!(
            p.state_dir(Path::new("/data/events.jsonl"), None),
            PathBuf::from("/data/events.jsonl.dfinery-send.part-2-of-4")
        );
        // Inside the folder given (a volume mounted there), not beside it.
        assert_eq!(
            p.state_dir(Path::new("events.jsonl"), Some(Path::new("/state"))),
            PathBuf::from("/state/part-2-of-4")
        );
        assert_eq!(
            p.former_state_dir(Path::new("/state")),
            PathBuf::from("/state.part-2-of-4")
        );
    }
}
