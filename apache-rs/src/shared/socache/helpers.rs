//! Cache calls that must end within a time limit, for providers that set none of their own:
//! APR-util's memcache client waits for an answer without limit once connected, and its redis
//! client reads `RedisTimeout` (which httpd gives in microseconds) as seconds, a million times
//! too long. A call is run by a helper thread of this process while its caller waits at most
//! the limit. A call past it cannot be stopped (the provider is blocked in `read`): its helper
//! stays busy until the server answers or drops the connection, and once every helper is held
//! like that, calls fail at once instead of queueing behind them.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

/// A call for a helper: it sends its own result to its caller.
type Job = Box<dyn FnOnce() + Send>;

/// Why a call has no result.
#[derive(Debug)]
pub(super) enum Late {
    /// It did not end within the limit; it goes on in its helper.
    TimedOut,
    /// Every helper is still busy with a call past its limit.
    AllHeld(usize),
    /// No helper thread could be started, or the call panicked.
    Lost(String),
}

/// The helper threads of one cache in one process.
pub(super) struct Helpers {
    limit: Duration,
    /// At most this many threads (the MPM's threads per child: one per concurrent caller).
    most: usize,
    /// The process they belong to: after a fork, the child makes its own.
    pid: u32,
    state: Mutex<State>,
    work: Condvar,
}

#[derive(Default)]
struct State {
    /// Calls waiting for a helper, with the moment their callers give up.
    queue: VecDeque<(Instant, Job)>,
    /// Helpers waiting for a call.
    idle: usize,
    /// For each helper thread started, the deadline of the call it runs.
    running: Vec<Option<Instant>>,
}

impl Helpers {
    pub(super) fn new(limit: Duration, most: usize) -> Helpers {
        Helpers {
            limit,
            most: most.max(1),
            pid: std::process::id(),
            state: Mutex::new(State::default()),
            work: Condvar::new(),
        }
    }

    /// Whether these helpers are this process's (not a parent's, inherited through fork).
    pub(super) fn are_ours(&self) -> bool {
        self.pid == std::process::id()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `call` on a helper; waits for its result at most the limit.
    pub(super) fn run<R: Send + 'static>(
        self: &Arc<Self>,
        call: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, Late> {
        let (tx, rx) = mpsc::sync_channel(1);
        let now = Instant::now();
        let deadline = now + self.limit;
        {
            let mut state = self.lock();
            if state.idle == 0 {
                let started = state.running.len();
                if started < self.most {
                    state.running.push(None);
                    let helpers = Arc::clone(self);
                    std::thread::Builder::new()
                        .name("socache-call".into())
                        .spawn(move || helpers.serve(started))
                        .map_err(|e| {
                            Late::Lost(format!("cannot start a thread for the call: {e}"))
                        })?;
                } else if state.running.iter().all(|d| d.is_some_and(|d| d < now)) {
                    return Err(Late::AllHeld(started));
                }
            }
            // A panic in `call` drops `tx`: the caller hears of it as a lost call.
            state.queue.push_back((
                deadline,
                Box::new(move || {
                    let _ = tx.send(call());
                }),
            ));
        }
        self.work.notify_one();
        rx.recv_timeout(self.limit).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => Late::TimedOut,
            mpsc::RecvTimeoutError::Disconnected => Late::Lost("the call panicked".into()),
        })
    }

    /// A helper thread's life: the queued calls, one after another, for as long as the
    /// process runs.
    fn serve(&self, me: usize) {
        let mut state = self.lock();
        loop {
            while let Some((deadline, job)) = state.queue.pop_front() {
                if deadline <= Instant::now() {
                    // Its caller has given up already.
                    continue;
                }
                state.running[me] = Some(deadline);
                drop(state);
                let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                state = self.lock();
                state.running[me] = None;
            }
            state.idle += 1;
            state = self.work.wait(state).unwrap_or_else(|e| e.into_inner());
            state.idle -= 1;
        }
    }
}
