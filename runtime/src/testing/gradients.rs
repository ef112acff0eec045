//! [`check_gradients`]: analytic gradients against central finite differences, written once for
//! everything [`Differentiable`]: a stage chain under a linear [`Probe`], a model under a loss.

use crate::data::SplitMix64;
use crate::layers::{Mode, Param, ParamMut};
use crate::shape::Dims;
use crate::testing::Chain;

/// Something whose gradients can be checked: a scalar `L(x)` of its input and weights, with
/// analytic gradients.
pub trait Differentiable {
    /// `L(x)` with the current weights, in `f64`, from a training-mode forward pass.
    fn loss(&mut self, x: &[f32]) -> f64;

    /// `∂L/∂x` at `x`, leaving every weight's `∂L/∂w` in its gradient buffer.
    fn gradient(&mut self, x: &[f32]) -> Vec<f32>;

    /// Every weight with its gradient.
    fn visit_weights(&self, visit: &mut dyn FnMut(Param<'_>));

    /// Every weight, writable, in the order of [`Differentiable::visit_weights`].
    fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>));
}

/// How [`check_gradients`] differentiates and compares.
pub struct FiniteDifferences<'a> {
    /// The step `h` of `(L(θ + h) − L(θ − h)) / 2h`.
    pub h: f32,
    /// An analytic value `a` passes when `|a − n| ≤ tolerance · max(|n|, floor)`, `n` the
    /// finite difference.
    pub tolerance: f64,
    /// See `tolerance`: the magnitude below which the tolerance is absolute.
    pub floor: f64,
    /// Which input indices to check (all by default; padding, say, may be left out).
    pub inputs: &'a dyn Fn(usize) -> bool,
    /// Shown in failure messages.
    pub label: &'a str,
}

impl Default for FiniteDifferences<'_> {
    fn default() -> Self {
        FiniteDifferences { h: 1e-2, tolerance: 2e-3, floor: 1.0, inputs: &|_| true, label: "" }
    }
}

/// Checks `∂L/∂x` at `x` (at the indices `fd.inputs` accepts) and every weight's gradient of
/// `subject` against central finite differences; panics with the first that differs, naming it.
///
/// The harness shaped's own layers are tested with, offered for a custom layer's hand-written
/// `backward`: wrap the layer in [`crate::layers::Opaque`] for its input shape, run it in a
/// [`Chain`] under a random linear [`Probe`], and check.
///
/// ```
/// use shaped::prelude::*;
/// use shaped::layers::{Opaque, Param, ParamMut, Stage};
/// use shaped::testing::{check_gradients, Chain, FiniteDifferences, Probe};
///
/// /// `y = w ⊙ x`, one weight per feature: `dw = Σ_batch dy ⊙ x`, `dx = w ⊙ dy`.
/// struct FeatureScale { w: Vec<f32>, dw: Vec<f32>, shape: [usize; 1] }
///
/// impl<S: Shape> Layer<S> for FeatureScale {
///     type Out = S;
///     fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
///         let n = self.w.len();
///         for (out, inp) in y.data_mut().chunks_mut(n).zip(x.data().chunks(n)) {
///             out.iter_mut().zip(inp).zip(&self.w).for_each(|((o, i), w)| *o = w * i);
///         }
///         Ok(())
///     }
///     fn backward(&mut self, x: TensorRef<'_, S>, _y: TensorRef<'_, S>, dy: TensorRef<'_, S>,
///                 dx: Option<TensorMut<'_, S>>) -> shaped::Result<()> {
///         let n = self.w.len();
///         self.dw.fill(0.0);
///         for (g, inp) in dy.data().chunks(n).zip(x.data().chunks(n)) {
///             self.dw.iter_mut().zip(g).zip(inp).for_each(|((d, g), i)| *d += g * i);
///         }
///         if let Some(mut dx) = dx {
///             for (out, g) in dx.data_mut().chunks_mut(n).zip(dy.data().chunks(n)) {
///                 out.iter_mut().zip(g).zip(&self.w).for_each(|((o, g), w)| *o = w * g);
///             }
///         }
///         Ok(())
///     }
///     fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
///         visit(Param { name: "w", shape: &self.shape, data: &self.w, grad: &self.dw, trainable: true });
///     }
///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
///         visit(ParamMut { name: "w", shape: &self.shape, data: &mut self.w, grad: &mut self.dw, trainable: true });
///     }
/// }
///
/// let layer = FeatureScale { w: vec![0.5, -1.0, 2.0], dw: vec![0.0; 3], shape: [3] };
/// let stage: Box<dyn Stage> = Box::new(Opaque::new::<(shaped::dim!(3),)>(layer));
/// let x = [0.3, -0.8, 0.5, 1.1, 0.2, -0.4]; // 2 samples of 3 features
/// let mut probe = Probe::new(Chain::new(vec![("feature_scale", stage)]), &x, Dims::new(&[3]).unwrap(), 2, None, 7);
/// check_gradients(&mut probe, &x, &FiniteDifferences::default()); // panics naming a wrong gradient
/// ```
pub fn check_gradients(subject: &mut dyn Differentiable, x: &[f32], fd: &FiniteDifferences<'_>) {
    let dx = subject.gradient(x);
    let mut analytic = Vec::new();
    subject.visit_weights(&mut |p| analytic.push((p.name.to_string(), p.grad.to_vec())));
    let h = fd.h;
    let close = |a: f32, n: f64, what: &str| {
        assert!(
            (a as f64 - n).abs() <= fd.tolerance * n.abs().max(fd.floor),
            "{}: {what}: analytic {a}, finite difference {n}",
            fd.label
        );
    };
    for i in (0..x.len()).filter(|&i| (fd.inputs)(i)) {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[i] += h;
        xm[i] -= h;
        let numeric = (subject.loss(&xp) - subject.loss(&xm)) / (2.0 * h as f64);
        close(dx[i], numeric, &format!("dx[{i}]"));
    }
    for (param, (name, grad)) in analytic.iter().enumerate() {
        for (j, &a) in grad.iter().enumerate() {
            let nudge = |subject: &mut dyn Differentiable, delta: f32| {
                let mut k = 0;
                subject.visit_weights_mut(&mut |p| {
                    if k == param {
                        p.data[j] += delta;
                    }
                    k += 1;
                });
            };
            nudge(subject, h);
            let lp = subject.loss(x);
            nudge(subject, -2.0 * h);
            let lm = subject.loss(x);
            nudge(subject, h);
            close(a, (lp - lm) / (2.0 * h as f64), &format!("{name}[{j}]"));
        }
    }
}

/// A chain under the linear functional `L = Σ r ⊙ y`, `r` fixed and random, so `dL/dy = r`:
/// what checks a layer's backward without a loss in the way.
pub struct Probe {
    /// The stages.
    pub chain: Chain,
    dims: Dims,
    batch: usize,
    mask: Option<Vec<f32>>,
    r: Vec<f32>,
}

impl Probe {
    /// `chain` on `batch` samples of `dims` with the input's `mask`, probed by a random `r`
    /// drawn from `seed` (the output's size is read from a first forward pass on `x`).
    pub fn new(
        mut chain: Chain,
        x: &[f32],
        dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        seed: u64,
    ) -> Self {
        let len = chain.forward(x, dims, batch, mask, Mode::Training).map(<[f32]>::len).unwrap_or(0);
        let mut rng = SplitMix64::new(seed);
        let r = (0..len).map(|_| 2.0 * rng.next_f32() - 1.0).collect();
        Probe { chain, dims, batch, mask: mask.map(<[f32]>::to_vec), r }
    }
}

impl Differentiable for Probe {
    fn loss(&mut self, x: &[f32]) -> f64 {
        let y = self.chain.forward(x, self.dims, self.batch, self.mask.as_deref(), Mode::Training);
        let y = y.unwrap_or_else(|e| panic!("forward: {e}"));
        y.iter().zip(&self.r).map(|(&a, &b)| a as f64 * b as f64).sum()
    }

    fn gradient(&mut self, x: &[f32]) -> Vec<f32> {
        self.loss(x);
        self.chain.backward(&self.r).unwrap_or_else(|e| panic!("backward: {e}"))
    }

    fn visit_weights(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.chain.visit_params(visit)
    }

    fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.chain.visit_params_mut(visit)
    }
}
