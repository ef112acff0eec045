//! The kernels' threads: a fixed set of helper threads that split one large product (or any
//! loop of independent parts) with the calling thread, and the setting of how many to use.
//!
//! How many: [`set_num_threads`], or else the environment's `MATMUL_NUM_THREADS` or
//! `RAYON_NUM_THREADS` (the names the other libraries read; the first that is set and a
//! positive integer wins), or else the machine's cores ([`std::thread::available_parallelism`]).
//! One thread means every kernel runs on the caller, as if this module did not exist.
//!
//! [`for_each_part`] runs `parts` calls of one function on the calling thread and the helpers:
//! thread j runs part j first (the same at every call, so a product's share of operands stays
//! in that thread's cache), then each claims the next part left; it returns when all are done.
//! A helper spins for 2 ms between jobs, so a training step's products reach a running thread,
//! and then sleeps; a job that a sleeping helper has not taken when the caller runs out of
//! parts is taken back, so the caller never waits for a helper to wake. Nothing is allocated
//! per call: the job is a pointer to the caller's closure, which outlives it because the
//! caller waits for every helper that took it. A call made while the helpers are busy (from
//! inside a part, or from another thread at the same time) runs its parts one after another
//! on its own thread.
//!
//! Results never depend on the number of threads: the kernels split the rows or columns of the
//! output, never a sum, so each value is computed by the same operations in the same order.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a helper spins for its next job before it sleeps (and a caller for a helper to
/// finish before it sleeps): a training step's products come closer together than this.
const SPIN: Duration = Duration::from_millis(2);

/// The most threads a call uses (each helper's thread starts at its first use).
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

/// The most items [`for_each_item`] takes.
pub const MAX_ITEMS: usize = 8;

/// Runs `f(i, &mut items[i])` for every item, as the parts of [`for_each_part`]: each item is
/// changed by one thread at a time, and the call returns when every item is done. The way to
/// hand each thread its own block of a buffer (`items` of disjoint `&mut` slices) without
/// `unsafe`; nothing is allocated.
///
/// ```
/// let mut data = [1.0f32; 10];
/// let (left, right) = data.split_at_mut(5);
/// let mut halves = [left, right];
/// shaped::kernels::threads::for_each_item(&mut halves, &|i, half| half.fill(i as f32));
/// assert_eq!(data, [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
/// ```
///
/// # Panics
///
/// If there are more than [`MAX_ITEMS`] items, or as [`for_each_part`].
pub fn for_each_item<T: Send>(items: &mut [T], f: &(dyn Fn(usize, &mut T) + Sync)) {
    let count = items.len();
    assert!(count <= MAX_ITEMS, "for_each_item: {count} items, at most {MAX_ITEMS}");
    let mut rest = items;
    let slots: [Mutex<Option<&mut T>>; MAX_ITEMS] = std::array::from_fn(|_| {
        let (first, tail) = match std::mem::take(&mut rest) {
            [] => (None, &mut [][..]),
            [first, tail @ ..] => (Some(first), tail),
        };
        rest = tail;
        Mutex::new(first)
    });
    for_each_part(count, &|i| {
        if let Some(item) = slots[i].lock().unwrap_or_else(|e| e.into_inner()).as_deref_mut() {
            f(i, item);
        }
    });
}

/// Runs `f(0)`, `f(1)`, …, `f(parts − 1)` on up to [`num_threads`] threads, this one included
/// (thread j runs part j, then each claims the next part left); returns when every part is
/// done. A part that panics makes this call panic once every helper is done.
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
    // Helpers 0 .. count, started at their first use (fewer if a thread cannot be started).
    let count = (0..threads - 1).take_while(|&j| pool.helper(j).is_some()).count();
    // Thread j (this one is 0, helper j is j + 1) runs part j first, the same part at every
    // call (so each keeps its share of a product's operands in its own cache from one call to
    // the next), then claims the next part past the threads' own until none is left.
    let t = count + 1;
    let next = AtomicUsize::new(t);
    let run = |own: usize| {
        if own < parts {
            f(own);
        }
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= parts {
                break;
            }
            f(i);
        }
    };
    let run: &(dyn Fn(usize) + Sync) = &run;
    let erased: *const (dyn Fn(usize) + Sync + '_) = run;
    // SAFETY: the pointer is only dereferenced by a helper that took the job, and this call
    // waits for every such helper below (`finish` returns after `done`, or after taking back a
    // job no helper took), so the closure it points to, living on this call's stack, outlives
    // every use; the transmute only erases that lifetime.
    let job: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(erased) };
    let helpers = (0..count).filter_map(|j| pool.helper(j));
    for (j, helper) in helpers.clone().enumerate() {
        helper.start(Job { run: job, own: j + 1 });
    }
    let mut outcome = catch_unwind(AssertUnwindSafe(|| run(0)));
    // Every helper is finished, even after a panic here: the job points into this frame.
    let mut helper_panicked = false;
    for (j, helper) in helpers.enumerate() {
        match helper.finish() {
            // A helper still asleep gives its job back: its own part runs here.
            Finish::TakenBack if outcome.is_ok() => outcome = catch_unwind(AssertUnwindSafe(|| run(j + 1))),
            Finish::TakenBack => {}
            Finish::Done { panicked } => helper_panicked |= panicked,
        }
    }
    pool.busy.store(false, Ordering::Release);
    if let Err(payload) = outcome {
        resume_unwind(payload);
    }
    assert!(!helper_panicked, "a part run on a helper thread panicked");
}

static POOL: OnceLock<Pool> = OnceLock::new();

/// The helper threads, each started at its first use.
struct Pool {
    /// Whether a call is running parts on the helpers.
    busy: AtomicBool,
    /// Helper `j`, or `None` when its thread could not be started.
    helpers: [OnceLock<Option<&'static Helper>>; MAX_THREADS - 1],
}

impl Default for Pool {
    fn default() -> Pool {
        Pool { busy: AtomicBool::new(false), helpers: std::array::from_fn(|_| OnceLock::new()) }
    }
}

impl Pool {
    /// Helper `j` (`j < MAX_THREADS − 1`), its thread started at the first call; `None` if
    /// the thread could not be started.
    fn helper(&self, j: usize) -> Option<&'static Helper> {
        *self.helpers[j].get_or_init(|| {
            // Lives as long as the process, as its thread does.
            let helper: &'static Helper = Box::leak(Box::default());
            std::thread::Builder::new()
                .name(format!("shaped-kernel-{}", j + 1))
                .spawn(move || helper.run())
                .ok()
                .map(|_| helper)
        })
    }
}

/// A call's work handed to a helper: its own part, then the parts left.
#[derive(Clone, Copy)]
struct Job {
    run: *const (dyn Fn(usize) + Sync + 'static),
    own: usize,
}

/// How a helper's job ended.
enum Finish {
    /// The helper had not taken it: the caller runs its own part.
    TakenBack,
    /// The helper ran it.
    Done { panicked: bool },
}

// SAFETY: `run` points to a `Sync` closure (shared use from several threads is sound), which
// the caller keeps alive until the job is done or taken back (see `for_each_part`).
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

    /// Ends the job handed over by [`Helper::start`]: takes it back if the helper has not
    /// taken it yet, else waits until it is done.
    fn finish(&self) -> Finish {
        {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.job.take().is_some() {
                self.ready.store(false, Ordering::Relaxed);
                return Finish::TakenBack;
            }
        }
        if !spin_until(|| self.done.load(Ordering::Acquire)) {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            while !self.done.load(Ordering::Acquire) {
                state.waiting = true;
                state = self.finished.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            state.waiting = false;
        }
        Finish::Done { panicked: self.panicked.load(Ordering::Relaxed) }
    }

    /// The helper's loop: take a job, run its parts, say so; spin, then sleep, between jobs.
    fn run(&self) {
        loop {
            let job = self.next();
            let result = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: this helper took the job, so its caller waits in `finish` until `done`
                // is set below: the closure behind `job.run` is alive for this whole use.
                let run = unsafe { &*job.run };
                run(job.own);
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
        spin_until(|| self.ready.load(Ordering::Acquire));
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

/// Spins until `ready()` or [`SPIN`] has passed (the clock read once per 256 spins); whether
/// `ready()` came true.
fn spin_until(ready: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..256 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN {
            return ready();
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
    fn a_panicking_part_panics_the_call_after_every_part_is_done() {
        set_num_threads(2);
        for bad in [0, 1] {
            let count = AtomicUsize::new(0);
            let result = catch_unwind(AssertUnwindSafe(|| {
                for_each_part(4, &|i| {
                    count.fetch_add(1, Ordering::Relaxed);
                    assert!(i != bad, "part {i}");
                })
            }));
            assert!(result.is_err());
            // The pool is free again.
            let after = AtomicUsize::new(0);
            for_each_part(3, &|_| {
                after.fetch_add(1, Ordering::Relaxed);
            });
            assert_eq!(after.load(Ordering::Relaxed), 3);
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
