//! Fixed-window timing: run a closure for a set time, count iterations, CPU time and
//! allocations, and keep the best of a few interleaved rounds, so background load on a shared
//! machine skews the figures as little as possible.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::alloc::{AllocCount, allocated_by_this_thread};

/// What one closure did in one measurement window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// How many times the closure ran.
    pub iterations: u64,
    /// How long those runs took in all, by the wall clock.
    pub elapsed: Duration,
    /// The CPU time the measuring thread spent on them: time the thread waited for a core
    /// (taken by another process) is not in it. `None` where it cannot be read.
    pub cpu: Option<Duration>,
    /// Allocations made by this thread while they ran.
    pub allocs: AllocCount,
}

impl Sample {
    /// The time the figures are computed from: [`cpu`](Sample::cpu) when known, else
    /// [`elapsed`](Sample::elapsed).
    pub fn time(&self) -> Duration {
        self.cpu.unwrap_or(self.elapsed)
    }

    /// Nanoseconds per iteration, of [`time`](Sample::time).
    pub fn ns_per_iter(&self) -> f64 {
        self.time().as_secs_f64() * 1e9 / self.iterations.max(1) as f64
    }

    /// Iterations per second, of [`time`](Sample::time).
    pub fn per_second(&self) -> f64 {
        self.iterations as f64 / self.time().as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Allocations per iteration.
    pub fn allocs_per_iter(&self) -> f64 {
        self.allocs.allocations as f64 / self.iterations.max(1) as f64
    }

    /// Bytes allocated per iteration.
    pub fn bytes_per_iter(&self) -> f64 {
        self.allocs.bytes as f64 / self.iterations.max(1) as f64
    }
}

/// Runs `f` on this thread (after one warm-up call) in growing chunks until `window` has
/// passed, and returns the total. The result of `f` goes through [`black_box`] so the work is
/// not optimised away.
pub fn run_for<T>(window: Duration, mut f: impl FnMut() -> T) -> Sample {
    black_box(f());
    let before = allocated_by_this_thread();
    let cpu_start = thread_cpu_time();
    let start = Instant::now();
    let mut iterations = 0u64;
    let mut chunk = 1u64;
    loop {
        for _ in 0..chunk {
            black_box(f());
        }
        iterations += chunk;
        let elapsed = start.elapsed();
        if elapsed >= window {
            let cpu = thread_cpu_time()
                .zip(cpu_start)
                .map(|(end, start)| end.saturating_sub(start));
            return Sample {
                iterations,
                elapsed,
                cpu,
                allocs: allocated_by_this_thread() - before,
            };
        }
        chunk = (chunk * 2).min(1 << 16);
    }
}

/// Measures every closure `rounds` times in turn (a, b, c, a, b, c, …), each for `window`,
/// and keeps each closure's fastest round: interleaving spreads slow spells of a shared
/// machine over all of them, and the fastest round is the one least disturbed.
pub fn best_of<T>(
    rounds: usize,
    window: Duration,
    fs: &mut [&mut dyn FnMut() -> T],
) -> Vec<Sample> {
    let mut best: Vec<Option<Sample>> = vec![None; fs.len()];
    for _ in 0..rounds.max(1) {
        for (f, best) in fs.iter_mut().zip(best.iter_mut()) {
            let sample = run_for(window, &mut **f);
            if best.is_none_or(|b| sample.ns_per_iter() < b.ns_per_iter()) {
                *best = Some(sample);
            }
        }
    }
    best.into_iter().flatten().collect()
}

/// The CPU time the calling thread has used so far (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_time() -> Option<Duration> {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The CPU time every thread of this process has used so far (`CLOCK_PROCESS_CPUTIME_ID`);
/// a child process's time is not in it.
pub fn process_cpu_time() -> Option<Duration> {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// The CPU time each thread of this process has used so far, summed by thread name (the
/// `comm` of `/proc/self/task/*`: Tokio's workers are all `tokio-rt-worker`, the spool's
/// writer is `dfinery-spool`), from the nanoseconds on a CPU in each thread's `schedstat`.
/// Names sorted; empty where `/proc` has no such files (not Linux). A thread that ended is
/// not in it.
pub fn thread_cpu_times() -> Vec<(String, Duration)> {
    let mut by_name: std::collections::BTreeMap<String, Duration> = Default::default();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let (Ok(name), Ok(stat)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("schedstat")),
        ) else {
            continue;
        };
        let Some(nanos) = stat.split_whitespace().next().and_then(|n| n.parse().ok()) else {
            continue;
        };
        *by_name.entry(name.trim().to_owned()).or_default() += Duration::from_nanos(nanos);
    }
    by_name.into_iter().collect()
}

/// The reading of the CPU-time clock `clock`.
fn cpu_clock(clock: libc::clockid_t) -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec`; the call writes nothing else.
    let status = unsafe { libc::clock_gettime(clock, &mut now) };
    let secs = u64::try_from(now.tv_sec).ok()?;
    let nanos = u32::try_from(now.tv_nsec).ok()?;
    (status == 0).then(|| Duration::new(secs, nanos))
}

/// What the kernel counted for this process (every thread, no child) so far:
/// `getrusage(RUSAGE_SELF)`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// CPU time in user mode.
    pub user: Duration,
    /// CPU time in the kernel (system calls, page faults, wake-ups).
    pub system: Duration,
    /// Page faults served without I/O (fresh heap pages, mostly).
    pub minor_faults: u64,
    /// Context switches because a thread waited (parked, blocked on a lock or a socket).
    pub voluntary_switches: u64,
    /// Context switches because a thread was preempted.
    pub involuntary_switches: u64,
}

impl std::ops::Sub for Usage {
    type Output = Usage;

    fn sub(self, before: Usage) -> Usage {
        Usage {
            user: self.user.saturating_sub(before.user),
            system: self.system.saturating_sub(before.system),
            minor_faults: self.minor_faults.saturating_sub(before.minor_faults),
            voluntary_switches: self
                .voluntary_switches
                .saturating_sub(before.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_sub(before.involuntary_switches),
        }
    }
}

/// This process's [`Usage`] so far; `None` where `getrusage` fails.
pub fn process_usage() -> Option<Usage> {
    // SAFETY: `rusage` is plain data; all zeroes is a valid value of it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage`; the call writes nothing else.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if status != 0 {
        return None;
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    let count = |n: libc::c_long| u64::try_from(n).unwrap_or(0);
    Some(Usage {
        user: time(usage.ru_utime),
        system: time(usage.ru_stime),
        minor_faults: count(usage.ru_minflt),
        voluntary_switches: count(usage.ru_nvcsw),
        involuntary_switches: count(usage.ru_nivcsw),
    })
}

/// The process's peak resident set size (`VmHWM` in `/proc/self/status`) in bytes; `None`
/// where that file does not exist (not Linux).
pub fn peak_rss() -> Option<u64> {
    status_kib("VmHWM:").map(|kib| kib * 1024)
}

/// Resets the peak resident set size to the current one (writes `5` to
/// `/proc/self/clear_refs`), so the next [`peak_rss`] is the peak of what follows. Returns
/// whether the kernel allowed it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A `kB` field of `/proc/self/status`.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
