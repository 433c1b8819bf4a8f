//! The measurement counts iterations, time and allocations, and reads peak memory.

use std::hint::black_box;
use std::time::Duration;

use dfinery_bench::alloc::{allocated, allocated_by_this_thread};
use dfinery_bench::measure::{
    best_of, peak_rss, process_usage, reset_peak_rss, run_for, thread_cpu_time, thread_cpu_times,
};

#[test]
fn allocations_are_counted_per_iteration() {
    let sample = run_for(Duration::from_millis(20), || black_box(vec![1u8; 100]));
    assert!(sample.iterations > 0);
    // One allocation of 100 bytes per iteration, counted on this thread only.
    assert_eq!(sample.allocs.allocations, sample.iterations, "{sample:?}");
    assert_eq!(sample.allocs.bytes, 100 * sample.iterations, "{sample:?}");
    let none = run_for(Duration::from_millis(20), || black_box(1 + 1));
    assert_eq!(none.allocs.allocations, 0, "{none:?}");
}

#[test]
fn the_counters_see_every_allocation() {
    let (process, thread) = (allocated(), allocated_by_this_thread());
    let boxes: Vec<Box<u64>> = (0..10).map(Box::new).collect();
    let thread = allocated_by_this_thread() - thread;
    let process = allocated() - process;
    black_box(boxes);
    // Ten boxes and the vector holding them.
    assert_eq!(thread.allocations, 11, "{thread:?}");
    assert_eq!(thread.bytes, 10 * 8 + 10 * 8);
    // Other test threads may allocate too, never fewer.
    assert!(process.allocations >= 11, "{process:?}");
}

#[test]
fn best_of_keeps_one_sample_per_closure_and_figures_agree() {
    let samples = best_of(
        2,
        Duration::from_millis(10),
        &mut [&mut || black_box(1_u64), &mut || black_box(2_u64)],
    );
    assert_eq!(samples.len(), 2);
    for s in samples {
        assert!(s.iterations > 0);
        let per_second = s.per_second();
        let ns = s.ns_per_iter();
        assert!((per_second * ns / 1e9 - 1.0).abs() < 1e-6, "{s:?}");
    }
}

#[test]
fn cpu_time_and_peak_memory_are_read_on_linux() {
    let start = thread_cpu_time().expect("a thread CPU clock");
    let mut spin = 0u64;
    while thread_cpu_time().expect("a thread CPU clock") - start < Duration::from_millis(5) {
        spin = black_box(spin + 1);
    }
    assert!(spin > 0);
    assert!(reset_peak_rss());
    let before = peak_rss().expect("VmHWM");
    let big = black_box(vec![1u8; 64 << 20]);
    let after = peak_rss().expect("VmHWM");
    assert!(after >= before + (60 << 20), "{before} -> {after}");
    drop(big);
}

#[test]
fn the_process_usage_counts_the_cpu_time_spent() {
    let before = process_usage().expect("getrusage");
    let start = thread_cpu_time().expect("a thread CPU clock");
    let mut spin = 0u64;
    while thread_cpu_time().expect("a thread CPU clock") - start < Duration::from_millis(20) {
        spin = black_box(spin + 1);
    }
    let used = process_usage().expect("getrusage") - before;
    assert!(spin > 0);
    // The clock of this thread moved 20 ms; the process's, split into user and system, at
    // least as far (10 ms of slack for the kernel's accounting granularity).
    assert!(
        used.user + used.system >= Duration::from_millis(10),
        "{used:?}"
    );
}

#[test]
fn each_thread_name_gets_the_cpu_time_its_threads_spent() {
    // A thread with a name no other thread has spins 20 ms of its own CPU time, then reads
    // the table before it ends (an ended thread is no longer in it).
    let spun = std::thread::Builder::new()
        .name("cpu-by-name".to_owned())
        .spawn(|| {
            let start = thread_cpu_time().expect("a thread CPU clock");
            let mut spin = 0u64;
            while thread_cpu_time().expect("a thread CPU clock") - start < Duration::from_millis(20)
            {
                spin = black_box(spin + 1);
            }
            thread_cpu_times()
        })
        .expect("a thread")
        .join()
        .expect("the spinning thread");
    let names: Vec<&str> = spun.iter().map(|(name, _)| name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "one entry per name, sorted");
    let (_, time) = spun
        .iter()
        .find(|(name, _)| name == "cpu-by-name")
        .expect("the spinning thread's name");
    // `schedstat` counts time on a CPU, which the 20 ms of CPU time spun are part of.
    assert!(*time >= Duration::from_millis(19), "{time:?}");
}
