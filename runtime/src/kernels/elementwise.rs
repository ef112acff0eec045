//! Elementwise kernels of the training step, compiled for the widest vector unit the CPU has.
//!
//! The crate targets baseline x86-64 (SSE2, 4 lanes); these loops are written once, inlined
//! into `#[target_feature]` copies for AVX-512 and AVX2, and chosen at run time. Each element is
//! computed by the same operations in every copy (no reductions, no fused multiply-add), so the
//! results are bit-identical whichever copy runs. A large tensor's Adam step is split in blocks
//! over the kernel threads ([`crate::kernels::threads`]); each element is computed alike.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::kernels::threads;

/// Keras's Adam step on one tensor, in place (SEMANTICS §6, the ε-hat form), after decoupled
/// weight decay when `decay = Some((wd, lr))`:
/// `w ← w − w·wd·lr`, `m ← m + (g − m)(1 − β1)`, `v ← v + (g² − v)(1 − β2)`,
/// `w ← w − α·m / (√v + ε)`, where the caller folds the bias corrections into `alpha`.
///
/// Afterwards `g` holds the values `w` had before the step (so the step can be undone), and the
/// result says whether every new value of `w` is finite: both cost a store and a compare per
/// element, while the element is in a register.
///
/// # Panics
///
/// If the four slices differ in length (a programming error of the optimiser).
#[allow(clippy::too_many_arguments)]
pub fn adam_update(
    w: &mut [f32],
    g: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    alpha: f32,
    beta_1: f32,
    beta_2: f32,
    eps: f32,
    decay: Option<(f32, f32)>,
) -> bool {
    assert!(
        g.len() == w.len() && m.len() == w.len() && v.len() == w.len(),
        "adam_update: slices differ in length (w {}, g {}, m {}, v {})",
        w.len(),
        g.len(),
        m.len(),
        v.len()
    );
    let step = AdamStep { alpha, b1: beta_1, b2: beta_2, eps, decay };
    let threads = threads::num_threads().min(MAX_PARTS);
    if threads <= 1 || w.len() < PARALLEL_MIN_LEN {
        return adam_update_here([w, g, m, v], step);
    }
    // One block of elements per kernel thread, the same block to the same thread at every
    // step (so each keeps its share of the optimiser's state in its cache).
    let block = w.len().div_ceil(threads).next_multiple_of(16);
    let mut blocks =
        w.chunks_mut(block).zip(g.chunks_mut(block)).zip(m.chunks_mut(block)).zip(v.chunks_mut(block));
    let mut slots: [Option<Slices<'_>>; MAX_PARTS] =
        std::array::from_fn(|_| blocks.next().map(|(((w, g), m), v)| [w, g, m, v]));
    let non_finite = AtomicBool::new(false);
    threads::for_each_item(&mut slots[..threads], &|_, block| {
        if let Some(block) = block.take() {
            if !adam_update_here(block, step) {
                non_finite.store(true, Ordering::Relaxed);
            }
        }
    });
    !non_finite.load(Ordering::Relaxed)
}

/// Tensors of fewer elements are updated on one thread.
const PARALLEL_MIN_LEN: usize = 1 << 16;

/// The most blocks a tensor is split into.
const MAX_PARTS: usize = 8;

/// One block of `w`, `g`, `m` and `v`.
type Slices<'a> = [&'a mut [f32]; 4];

/// The settings of one Adam step (see [`adam_update`]).
#[derive(Clone, Copy)]
struct AdamStep {
    alpha: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    decay: Option<(f32, f32)>,
}

/// [`adam_update`] on the calling thread, with the widest vector unit the CPU has.
fn adam_update_here(block: Slices<'_>, step: AdamStep) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked on the line above.
            return unsafe { adam_update_avx512(block, step) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            return unsafe { adam_update_avx2(block, step) };
        }
    }
    adam_update_body(block, step)
}

#[inline(always)]
fn adam_update_body([w, g, m, v]: Slices<'_>, step: AdamStep) -> bool {
    let AdamStep { alpha, b1, b2, eps, decay } = step;
    let (c1, c2) = (1.0 - b1, 1.0 - b2);
    let mut non_finite = false;
    // Two loops rather than a branch per element, so each vectorises on its own.
    match decay {
        None => {
            for (((w, g), m), v) in w.iter_mut().zip(g.iter_mut()).zip(m.iter_mut()).zip(v.iter_mut()) {
                let (old, grad) = (*w, *g);
                *m += (grad - *m) * c1;
                *v += (grad * grad - *v) * c2;
                let new = old - *m * alpha / (v.sqrt() + eps);
                *w = new;
                *g = old;
                non_finite |= !new.is_finite();
            }
        }
        Some((wd, lr)) => {
            for (((w, g), m), v) in w.iter_mut().zip(g.iter_mut()).zip(m.iter_mut()).zip(v.iter_mut()) {
                let (old, grad) = (*w, *g);
                let decayed = old - old * wd * lr;
                *m += (grad - *m) * c1;
                *v += (grad * grad - *v) * c2;
                let new = decayed - *m * alpha / (v.sqrt() + eps);
                *w = new;
                *g = old;
                non_finite |= !new.is_finite();
            }
        }
    }
    !non_finite
}

/// Safety: requires AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn adam_update_avx512(block: Slices<'_>, step: AdamStep) -> bool {
    adam_update_body(block, step)
}

/// Safety: requires AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn adam_update_avx2(block: Slices<'_>, step: AdamStep) -> bool {
    adam_update_body(block, step)
}

/// Whether every value is finite (no NaN, no ±Inf). Accumulates `x · 0` (NaN exactly for a
/// non-finite `x`) in 16 independent lanes, so the scan vectorises without an early exit.
pub fn all_finite(x: &[f32]) -> bool {
    let mut lanes = [0.0f32; 16];
    let mut chunks = x.chunks_exact(16);
    for chunk in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v * 0.0;
        }
    }
    let tail = chunks.remainder().iter().fold(0.0f32, |acc, &v| acc + v * 0.0);
    lanes.iter().fold(tail, |acc, &l| acc + l) == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_update_matches_the_formula_on_every_path() {
        let n = 37;
        let g: Vec<f32> = (0..n).map(|i| (i as f32 * 0.7).sin()).collect();
        let w0: Vec<f32> = (0..n).map(|i| i as f32 * 0.01).collect();
        let (alpha, b1, b2, eps) = (1e-3f32, 0.9f32, 0.999f32, 1e-7f32);
        for decay in [None, Some((0.004f32, 1e-3f32))] {
            let mut expected_w = w0.clone();
            let mut em = vec![0.1f32; n];
            let mut ev = vec![0.2f32; n];
            let (mut w, mut grad, mut m, mut v) = (w0.clone(), g.clone(), em.clone(), ev.clone());
            for i in 0..n {
                if let Some((wd, lr)) = decay {
                    expected_w[i] -= expected_w[i] * wd * lr;
                }
                em[i] += (g[i] - em[i]) * (1.0 - b1);
                ev[i] += (g[i] * g[i] - ev[i]) * (1.0 - b2);
                expected_w[i] -= em[i] * alpha / (ev[i].sqrt() + eps);
            }
            assert!(adam_update(&mut w, &mut grad, &mut m, &mut v, alpha, b1, b2, eps, decay));
            assert_eq!((w, m, v), (expected_w, em, ev));
            assert_eq!(grad, w0, "the gradient buffer holds the weights from before the step");
        }
        let (mut w, mut grad) = (w0.clone(), g.clone());
        grad[20] = f32::NAN;
        let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
        assert!(!adam_update(&mut w, &mut grad, &mut m, &mut v, alpha, b1, b2, eps, None));
    }

    #[test]
    fn finds_non_finite_values() {
        let mut x = vec![1.0f32; 100];
        assert!(all_finite(&x));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [3, 97] {
                x[at] = bad;
                assert!(!all_finite(&x), "{bad} at {at}");
                x[at] = 1.0;
            }
        }
        assert!(all_finite(&[]));
        assert!(all_finite(&[f32::MAX, f32::MIN]));
    }
}
