//! The kernels' threads: a fixed set of helper threads that split one large product (or any
//! loop of independent parts) with the calling thread, and the setting of how many to use.
//!
//! How many: [`set_num_threads`], or else the environment's `MATMUL_NUM_THREADS` or
//! `RAYON_NUM_THREADS` (the names the other libraries read; the first that is set and a
//! positive integer wins), or else the machine's cores ([`std::thread::available_parallelism`]).
//! One thread means every kernel runs on the caller, as if this module did not exist.
//!
//! [`for_each_part`] runs `parts` calls of one function, shared round the calling thread and
//! the helpers, and returns when all are done. A helper spins briefly between parts, so a
//! training step's products reach a running thread, and then sleeps. Nothing is allocated per
//! call: a part is handed over as a pointer to the caller's closure, which outlives it because
//! the caller waits. A call made while the helpers are busy (from inside a part, or from another
//! thread at the same time) runs its parts one after another on its own thread.
//!
//! Results never depend on the number of threads: the kernels split the rows or columns of the
//! output, never a sum, so each value is computed by the same operations in the same order.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a helper spins for its next part before it sleeps.
const SPIN: Duration = Duration::from_micros(200);

/// The most threads a call uses (the helpers are made once, at the first call that needs them).
const MAX_THREADS: usize = 64;

/// The number of threads set by [`set_num_threads`]; 0 until then.
static SETTING: AtomicUsize = AtomicUsize::new(0);

/// Sets how many threads the kernels use, the caller included (1 to 64; 0 is taken as 1).
/// Takes effect at the next call; results are the same whatever the count.
///
/// ```
/// shaped::kernels::threads::set_num_threads(1);
/// assert_eq!(shaped::kernels::threads::num_threads(), 1);
/// ```
pub fn set_num_threads(n: usize) {
    SETTING.store(n.clamp(1, MAX_THREADS), Ordering::Relaxed);
}

/// How many threads the kernels use, the caller included: [`set_num_threads`]'s setting, or
/// `MATMUL_NUM_THREADS`, `RAYON_NUM_THREADS`, or the machine's cores.
pub fn num_threads() -> usize {
    match SETTING.load(Ordering::Relaxed) {
        0 => *DEFAULT.get_or_init(default_threads),
        n => n,
    }
}

static DEFAULT: OnceLock<usize> = OnceLock::new();

/// The count from the environment, or the machine's cores.
fn default_threads() -> usize {
    ["MATMUL_NUM_THREADS", "RAYON_NUM_THREADS"]
        .iter()
        .find_map(|name| std::env::var(name).ok()?.trim().parse::<usize>().ok().filter(|&n| n > 0))
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .min(MAX_THREADS)
}

/// Runs `f(0)`, `f(1)`, …, `f(parts − 1)` on [`num_threads`] threads, this one included (the
/// parts go round them in turn); returns when every part is done. A part that panics makes
/// this call panic once every part has finished.
pub fn for_each_part(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    let threads = num_threads().min(parts);
    if threads <= 1 {
        (0..parts).for_each(f);
        return;
    }
    let pool = POOL.get_or_init(Pool::default);
    if pool.busy.swap(true, Ordering::Acquire) {
        // Inside a part, or another caller has the helpers: run here.
        (0..parts).for_each(f);
        return;
    }
    let helpers = pool.helpers(threads - 1);
    // The parts go round the threads: this one runs 0, t, 2t, …, helper j runs j + 1, j + 1 + t, ….
    let t = helpers.len() + 1;
    let erased: *const (dyn Fn(usize) + Sync + '_) = f;
    // SAFETY: the pointer is only dereferenced by helpers while this call waits for them below
    // (every handed-out part is done before `wait_all` returns), so the closure it points to,
    // borrowed for this call, outlives every use; the transmute only erases that lifetime.
    let job: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(erased) };
    for (j, helper) in helpers.iter().enumerate() {
        helper.start(Job { f: job, first: j + 1, step: t, parts });
    }
    let mine = catch_unwind(AssertUnwindSafe(|| (0..parts).step_by(t).for_each(f)));
    let helper_panicked = helpers.iter().fold(false, |p, helper| helper.wait() | p);
    pool.busy.store(false, Ordering::Release);
    if let Err(payload) = mine {
        resume_unwind(payload);
    }
    assert!(!helper_panicked, "a part run on a helper thread panicked");
}

static POOL: OnceLock<Pool> = OnceLock::new();

/// The helper threads, made as they are first needed.
#[derive(Default)]
struct Pool {
    /// Whether a call is running parts on the helpers.
    busy: AtomicBool,
    helpers: OnceLock<Vec<&'static Helper>>,
}

impl Pool {
    /// The first `n` helpers (all the machine's, made at the first call).
    fn helpers(&self, n: usize) -> &[&'static Helper] {
        let all = self.helpers.get_or_init(|| {
            (0..MAX_THREADS - 1)
                .map_while(|i| {
                    let helper: &'static Helper = Box::leak(Box::default());
                    std::thread::Builder::new()
                        .name(format!("shaped-kernel-{}", i + 1))
                        .spawn(move || helper.run())
                        .ok()
                        .map(|_| helper)
                })
                .take(default_threads().max(num_threads()).saturating_sub(1))
                .collect()
        });
        &all[..n.min(all.len())]
    }
}

/// One handed-out share of a call: parts `first`, `first + step`, … below `parts` of `f`.
#[derive(Clone, Copy)]
struct Job {
    f: *const (dyn Fn(usize) + Sync + 'static),
    first: usize,
    step: usize,
    parts: usize,
}

// SAFETY: `f` points to a `Sync` closure (shared use from several threads is sound), which the
// caller keeps alive until the job is done (see `for_each_part`).
unsafe impl Send for Job {}

/// One helper thread: a job slot, and the flags it and the caller spin on.
#[derive(Default)]
struct Helper {
    state: Mutex<State>,
    wake: Condvar,
    finished: Condvar,
    /// Set when a job is handed over, cleared when the helper takes it.
    ready: AtomicBool,
    /// Set when the job is done.
    done: AtomicBool,
    /// Whether the last job panicked (written before `done`, read after it).
    panicked: AtomicBool,
}

/// What the helper's lock guards.
#[derive(Default)]
struct State {
    job: Option<Job>,
    /// The helper sleeps on `wake`.
    sleeping: bool,
    /// The caller sleeps on `finished`.
    waiting: bool,
}

impl Helper {
    /// Hands `job` over and wakes the helper if it sleeps.
    fn start(&self, job: Job) {
        self.done.store(false, Ordering::Relaxed);
        let sleeping = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.job = Some(job);
            state.sleeping
        };
        self.ready.store(true, Ordering::Release);
        if sleeping {
            self.wake.notify_one();
        }
    }

    /// Waits for the job handed over by [`Helper::start`]; whether it panicked.
    fn wait(&self) -> bool {
        let start = Instant::now();
        while !self.done.load(Ordering::Acquire) {
            if start.elapsed() > SPIN {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                while !self.done.load(Ordering::Acquire) {
                    state.waiting = true;
                    state = self.finished.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                state.waiting = false;
                break;
            }
            std::hint::spin_loop();
        }
        self.panicked.load(Ordering::Relaxed)
    }

    /// The helper's loop: take a job, run its parts, say so; spin, then sleep, between jobs.
    fn run(&self) {
        loop {
            let job = self.next();
            let result = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: the caller that handed this job over waits in `wait` until `done` is
                // set below, so the closure behind `job.f` is alive for this whole use.
                let f = unsafe { &*job.f };
                (job.first..job.parts).step_by(job.step).for_each(f);
            }));
            self.panicked.store(result.is_err(), Ordering::Relaxed);
            let waiting = {
                let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                self.done.store(true, Ordering::Release);
                state.waiting
            };
            if waiting {
                self.finished.notify_one();
            }
        }
    }

    /// The next job: spins for [`SPIN`], then sleeps until one is handed over.
    fn next(&self) -> Job {
        let start = Instant::now();
        while !self.ready.load(Ordering::Acquire) && start.elapsed() < SPIN {
            std::hint::spin_loop();
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(job) = state.job.take() {
                self.ready.store(false, Ordering::Relaxed);
                state.sleeping = false;
                return job;
            }
            state.sleeping = true;
            state = self.wake.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn every_part_runs_once_whatever_the_thread_count() {
        for threads in [1, 2, 3] {
            set_num_threads(threads);
            for parts in [1, 2, 5, 64] {
                let sum = AtomicU64::new(0);
                let count = AtomicUsize::new(0);
                for_each_part(parts, &|i| {
                    sum.fetch_add(i as u64 + 1, Ordering::Relaxed);
                    count.fetch_add(1, Ordering::Relaxed);
                });
                assert_eq!(count.load(Ordering::Relaxed), parts);
                assert_eq!(sum.load(Ordering::Relaxed), (parts * (parts + 1) / 2) as u64);
            }
        }
    }

    #[test]
    fn a_call_inside_a_part_runs_on_its_own_thread() {
        set_num_threads(2);
        let count = AtomicUsize::new(0);
        for_each_part(2, &|_| {
            for_each_part(3, &|_| {
                count.fetch_add(1, Ordering::Relaxed);
            })
        });
        assert_eq!(count.load(Ordering::Relaxed), 6);
    }
}
