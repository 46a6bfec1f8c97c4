//! What /proc says about each child of an httpd: its memory, its open files, when it was
//! forked and the CPU it has used.

use crate::bench::procfs;
use std::collections::BTreeMap;

/// One child, read at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub rss_kb: u64,
    pub fds: usize,
}

/// Every living child of `parent` (the pid, its reading); children that end meanwhile are
/// left out.
pub fn read_all(parent: u32) -> BTreeMap<u32, Reading> {
    procfs::children(parent)
        .into_iter()
        .filter_map(|pid| Some((pid, read(pid)?)))
        .collect()
}

fn read(pid: u32) -> Option<Reading> {
    let rss_kb = procfs::status_kb(pid, "VmRSS:")?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some(Reading { rss_kb, fds })
}

/// When `pid` was forked, in seconds on the clock of [`boot_clock`] (10 ms steps: /proc
/// counts in clock ticks).
pub fn forked_at(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name: state(0) ... starttime(19).
    let ticks: u64 = procfs::stat_fields(&stat).get(19)?.parse().ok()?;
    Some(ticks as f64 / procfs::ticks_per_second())
}

/// Seconds since boot, on the clock /proc's start times count from.
pub fn boot_clock() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given, which lives on this stack.
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// The CPU time `pid` has used, all its threads, in milliseconds (from the scheduler's
/// nanosecond counts, not /proc's 10 ms ticks).
pub fn cpu_ms(pid: u32) -> Option<f64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut ns = 0u64;
    for task in tasks.flatten() {
        let path = task.path().join("schedstat");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        ns += text
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(ns as f64 / 1e6)
}

/// The lines of an error_log that say a process crashed or Python failed fatally.
pub fn crashes(error_log: &str) -> Vec<String> {
    const SIGNS: &[&str] = &[
        "Segmentation fault",
        "exit signal",
        "AH00052",
        "AH00051",
        "Fatal Python error",
        "panicked",
        "double free",
        "Aborted",
        "core dump",
    ];
    error_log
        .lines()
        .filter(|l| SIGNS.iter().any(|s| l.contains(s)))
        .map(str::to_string)
        .collect()
}

/// The machine's load average (1, 5 and 15 minutes), as /proc/loadavg says it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}
