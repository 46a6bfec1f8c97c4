//! What /proc says about an httpd and its children: CPU time and memory.

use std::collections::HashMap;

/// Clock ticks per second, the unit of /proc's CPU times.
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions; it only reads a constant.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64
}

/// Sum of utime+stime (in clock ticks) of `pid` and its living children, plus what its reaped
/// children used (cutime+cstime).
pub fn cpu_ticks(parent: u32) -> u64 {
    let mut total = 0;
    for (pid, stat) in processes() {
        let f = stat_fields(&stat);
        // After the command name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        if pid == parent {
            total += num(11) + num(12) + num(13) + num(14);
        } else if num(1) == u64::from(parent) {
            total += num(11) + num(12);
        }
    }
    total
}

/// The fields of `/proc/<pid>/stat` after the command name, which may itself hold spaces.
pub fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default()
}

fn processes() -> Vec<(u32, String)> {
    let mut v = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>()
                && let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            {
                v.push((pid, stat));
            }
        }
    }
    v
}

pub fn children(parent: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|(_, stat)| stat_fields(stat).get(1).and_then(|p| p.parse().ok()) == Some(parent))
        .map(|(pid, _)| pid)
        .collect()
}

/// A `Vm...:` line of `/proc/<pid>/status`, in KiB.
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let v = status.lines().find_map(|l| l.strip_prefix(field))?;
    v.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Average resident set size of the parent's children, in KiB.
pub fn rss_per_child(parent: u32) -> u64 {
    let sizes: Vec<u64> = children(parent)
        .into_iter()
        .filter_map(|pid| status_kb(pid, "VmRSS:"))
        .collect();
    if sizes.is_empty() {
        0
    } else {
        sizes.iter().sum::<u64>() / sizes.len() as u64
    }
}

/// Each child's resident size before a round, with its peak reset to it where the kernel lets
/// us: the peak read after the round is then the round's own, not the warm-up's.
pub fn rss_before(parent: u32) -> HashMap<u32, u64> {
    children(parent)
        .into_iter()
        .filter_map(|pid| {
            // "5" resets VmHWM (Linux >= 4.0); without the right (not root) the peak since the
            // child started stays, which can only overstate the growth.
            let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
            Some((pid, status_kb(pid, "VmRSS:")?))
        })
        .collect()
}

/// The largest growth of a child's peak resident size (VmHWM) over its size in `before`, in
/// KiB. A child started during the round has no size before it and is left out: with one
/// connection at a time, the round is served by children that were already there.
pub fn peak_growth(before: &HashMap<u32, u64>) -> u64 {
    before
        .iter()
        .filter_map(|(pid, rss)| Some(status_kb(*pid, "VmHWM:")?.saturating_sub(*rss)))
        .max()
        .unwrap_or(0)
}
