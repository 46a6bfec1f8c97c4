//! Keeping the servers and the load generator on different CPUs.
//!
//! On a machine of few cores, wrk, the flavor's worker threads and its listener otherwise move
//! between CPUs on every wake-up; the cross-CPU wake-ups (in a VM, inter-processor interrupts
//! the hypervisor delivers) then cost more than the module under test, and vary from second to
//! second with whatever else the machine runs. With httpd on one half of the CPUs and the
//! client on the other, the same two flavors measured a few seconds apart agreed within a few
//! percent where they had differed by up to 25 %.

use std::mem;

/// A set of CPUs, as sched_setaffinity takes it.
#[derive(Clone, Copy)]
pub struct Cpus {
    set: libc::cpu_set_t,
    list: [u16; 8],
    shown: usize,
    count: usize,
}

impl Cpus {
    fn empty() -> Cpus {
        Cpus {
            // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
            set: unsafe { mem::zeroed() },
            list: [0; 8],
            shown: 0,
            count: 0,
        }
    }

    fn add(&mut self, cpu: usize) {
        // SAFETY: CPU_SET writes one bit of the set, after checking `cpu` against its size.
        unsafe { libc::CPU_SET(cpu, &mut self.set) };
        if self.shown < self.list.len() {
            self.list[self.shown] = cpu as u16;
            self.shown += 1;
        }
        self.count += 1;
    }

    /// "0", "2,3", "0-7 and 8 more": for the report.
    pub fn describe(&self) -> String {
        let shown: Vec<String> = self.list[..self.shown]
            .iter()
            .map(|c| c.to_string())
            .collect();
        if self.count > self.shown {
            format!("{} and {} more", shown.join(","), self.count - self.shown)
        } else {
            shown.join(",")
        }
    }

    /// Moves every thread of process `pid` to these CPUs; the threads and processes it starts
    /// afterwards inherit them.
    pub fn pin_process(&self, pid: u32) -> Result<(), String> {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map_err(|e| format!("/proc/{pid}/task: {e}"))?;
        for task in tasks.flatten() {
            let Ok(tid) = task.file_name().to_string_lossy().parse::<libc::pid_t>() else {
                continue;
            };
            // SAFETY: the set is a valid cpu_set_t of the size given; a thread that has
            // exited meanwhile only makes the call fail with ESRCH, which is ignored.
            let rc =
                unsafe { libc::sched_setaffinity(tid, mem::size_of_val(&self.set), &self.set) };
            if rc != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH) {
                return Err(format!(
                    "sched_setaffinity({tid}): {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
        Ok(())
    }

    /// Moves an httpd and all its children.
    pub fn pin_tree(&self, parent: u32) -> Result<(), String> {
        self.pin_process(parent)?;
        for child in super::procfs::children(parent) {
            self.pin_process(child)?;
        }
        Ok(())
    }
}

/// The CPUs this process may use split in two: the first half for the servers, the rest for
/// the client. None on a single CPU.
pub fn split() -> Option<(Cpus, Cpus)> {
    let mut mine = Cpus::empty();
    // SAFETY: fills the set of the size given for this process.
    let rc = unsafe { libc::sched_getaffinity(0, mem::size_of_val(&mine.set), &mut mine.set) };
    if rc != 0 {
        return None;
    }
    // SAFETY: CPU_ISSET reads one bit of the set, after checking the index against its size.
    let usable: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &mine.set) })
        .collect();
    if usable.len() < 2 {
        return None;
    }
    let (mut server, mut client) = (Cpus::empty(), Cpus::empty());
    let half = usable.len().div_ceil(2);
    for (i, &cpu) in usable.iter().enumerate() {
        if i < half {
            server.add(cpu)
        } else {
            client.add(cpu)
        }
    }
    Some((server, client))
}
