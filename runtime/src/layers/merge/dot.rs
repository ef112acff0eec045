//! [`Dot`]: Keras's `Dot(axes, normalize)`, the dot product of two inputs over one axis of each,
//! sample by sample (Keras's `batch_dot`).
//!
//! Shape contract (`shaped::rules::dot`): exactly two inputs; `axes = [a₀, a₁]` as Keras writes
//! them (`Dot(axes=k)` is `[k, k]`, a negative axis taken from the end of its own input); the
//! sizes at the two axes are equal. The output is input 0's dims without `a₀`, then input 1's
//! without `a₁`, or `[1]` when nothing is left: `[T, F]·[S, F]` on `(2, 2)` → `[T, S]` (attention
//! scores), `[F]·[F]` on `(1, 1)` → `[1]`, `[T, F]·[F]` on `(2, 1)` → `[T]`.
//!
//! Forward, writing each input as `x[p, k, q]` (`p` over the axes before its dot axis, `k` the dot
//! axis of size `K`, `q` over the axes after it):
//!
//! `y[b, (p, q), (p', q')] = Σ_k A[b, p, k, q] · B[b, p', k, q']`
//!
//! one strided gemm per `(b, p, p')`. With `normalize`, `A` and `B` are first L2-normalised along
//! their dot axes as Keras's `ops.normalize` does it: `x̂ = x · min(1/√(Σ_k x_k²), 1/ε)`,
//! `ε = 1e-7`. Backward: `dA[p, k, q] = Σ_{p', q'} dy[(p, q), (p', q')] · B[p', k, q']`, `dB`
//! alike; through the normalisation, `dx = inv · (dx̂ − x̂ · Σ_k dx̂_k x̂_k)` per fiber, or
//! `dx = dx̂ / ε` where the cap holds (`Σ_k x_k² ≤ ε²`). For an all-zero fiber Keras under JAX
//! gives NaN there (`0 · ∞` in the derivative of `rsqrt` at 0, verified); shaped gives the
//! derivative of the capped branch that Keras's forward takes, which is finite.
//!
//! Masks are ignored and the output has none ([`MaskRule::Drop`], Keras's `Dot.compute_mask`
//! returns `None`).

use crate::buffer::grow;
use crate::error::Result;
use crate::kernels::gemm::sgemm;
use crate::layers::merge::{check_input, resolve_axis, rule_dims};
use crate::layers::stage::check_buffer;
use crate::layers::stage::{Backward, Forward, Input, MaskRule, Stage};
use crate::shape::Dims;
use shaped_rules::Fail;

/// `1/ε` with Keras's `epsilon()` = 1e-7: the cap of the inverse norm.
const INV_CAP: f32 = 1e7;

/// Keras's `Dot(axes, normalize)` (see the module docs), holding the normalised inputs and their
/// gradients so that a pass allocates nothing once it has seen its batch size.
#[derive(Clone, Debug)]
pub struct Dot {
    axes: [isize; 2],
    normalize: bool,
    /// The normalised inputs and, per fiber, their inverse norms.
    unit: [Vec<f32>; 2],
    inv: [Vec<f32>; 2],
    /// The gradients with respect to the normalised inputs.
    grad_unit: [Vec<f32>; 2],
}

/// One input seen as `[P, K, Q]` per sample: `P` the product of the axes before the dot axis,
/// `K` the dot axis, `Q` the product of the axes after it.
#[derive(Clone, Copy, Debug)]
struct Side {
    p: usize,
    k: usize,
    q: usize,
}

impl Side {
    fn of(dims: Dims, axis: usize) -> Side {
        let d = dims.as_slice();
        Side { p: d[..axis].iter().product(), k: d[axis], q: d[axis + 1..].iter().product() }
    }

    fn numel(self) -> usize {
        self.p * self.k * self.q
    }
}

impl Dot {
    /// Keras's `Dot(axes=[a0, a1], normalize)`; for `Dot(axes=k)` pass `[k, k]`.
    pub fn new(axes: [isize; 2], normalize: bool) -> Self {
        Dot {
            axes,
            normalize,
            unit: Default::default(),
            inv: Default::default(),
            grad_unit: Default::default(),
        }
    }

    /// The dot axes as written.
    pub fn axes(&self) -> [isize; 2] {
        self.axes
    }

    /// Whether the inputs are L2-normalised first (cosine similarity).
    pub fn normalize(&self) -> bool {
        self.normalize
    }

    fn rule(&self, dims: &[&[Option<usize>]]) -> Result<shaped_rules::ConstDims, Fail> {
        match dims {
            [a, b] => shaped_rules::dot(a, b, self.axes),
            _ => Err(Fail::InputCount { found: dims.len(), min: 2, max: 2 }),
        }
    }

    /// The output dims (by the shared rule) and both inputs' layouts, after checking the inputs.
    fn layout(&self, inputs: &[Input<'_>], batch: usize) -> Result<(Dims, [Side; 2])> {
        let out = rule_dims("Dot", inputs.len(), |j| inputs[j].dims, |d| self.rule(d))?;
        for (j, input) in inputs.iter().enumerate() {
            check_input("Dot", j, input, batch)?;
        }
        let side = |j: usize| Side::of(inputs[j].dims, resolve_axis(self.axes[j], inputs[j].dims.rank()));
        Ok((out, [side(0), side(1)]))
    }

    /// Normalises input `j` (`x`, `batch` samples laid out as `s`) into `self.unit[j]`.
    fn normalize_input(&mut self, j: usize, x: &[f32], s: Side, batch: usize) {
        let fibers = batch * s.p * s.q;
        grow(&mut self.unit[j], x.len());
        grow(&mut self.inv[j], fibers);
        let (unit, inv) = (&mut self.unit[j], &mut self.inv[j]);
        for (fiber, f_out) in inv[..fibers].iter_mut().enumerate() {
            let (bp, q) = (fiber / s.q.max(1), fiber % s.q.max(1));
            let base = bp * s.k * s.q + q;
            let sum: f32 = (0..s.k).map(|k| x[base + k * s.q] * x[base + k * s.q]).sum();
            let raw = 1.0 / sum.sqrt();
            let f = if raw > INV_CAP { INV_CAP } else { raw };
            *f_out = f;
            for k in 0..s.k {
                unit[base + k * s.q] = x[base + k * s.q] * f;
            }
        }
    }
}

/// `y = A · B` over the dot axis for `batch` samples (see the module docs).
fn contract(a: &[f32], sa: Side, b: &[f32], sb: Side, batch: usize, y: &mut [f32]) {
    let (j_len, k) = (sb.p * sb.q, sa.k);
    let out_numel = sa.p * sa.q * j_len;
    if k == 0 {
        y.fill(0.0);
        return;
    }
    if sa.q == 0 || sb.q == 0 {
        return;
    }
    for s in 0..batch {
        let (a, b) = (&a[s * sa.numel()..(s + 1) * sa.numel()], &b[s * sb.numel()..(s + 1) * sb.numel()]);
        let y = &mut y[s * out_numel..(s + 1) * out_numel];
        for p in 0..sa.p {
            for p2 in 0..sb.p {
                let (ia, ib, iy) = (p * k * sa.q, p2 * k * sb.q, p * sa.q * j_len + p2 * sb.q);
                #[rustfmt::skip]
                sgemm(sa.q, k, sb.q, 1.0,
                    &a[ia..], 1, sa.q as isize,
                    &b[ib..], sb.q as isize, 1,
                    0.0, &mut y[iy..], j_len as isize, 1);
            }
        }
    }
}

/// `dA[p, k, q] = Σ_{p', q'} dy[(p, q), (p', q')] · B[p', k, q']` into `da` (overwritten).
fn grad_first(dy: &[f32], sa: Side, b: &[f32], sb: Side, batch: usize, da: &mut [f32]) {
    da.fill(0.0);
    let (j_len, k) = (sb.p * sb.q, sa.k);
    let out_numel = sa.p * sa.q * j_len;
    if k == 0 || sa.q == 0 || sb.q == 0 {
        return;
    }
    for s in 0..batch {
        let dy = &dy[s * out_numel..(s + 1) * out_numel];
        let b = &b[s * sb.numel()..(s + 1) * sb.numel()];
        let da = &mut da[s * sa.numel()..(s + 1) * sa.numel()];
        for p in 0..sa.p {
            for p2 in 0..sb.p {
                let (iy, ib, ia) = (p * sa.q * j_len + p2 * sb.q, p2 * k * sb.q, p * k * sa.q);
                #[rustfmt::skip]
                sgemm(sa.q, sb.q, k, 1.0,
                    &dy[iy..], j_len as isize, 1,
                    &b[ib..], 1, sb.q as isize,
                    1.0, &mut da[ia..], 1, sa.q as isize);
            }
        }
    }
}

/// `dB[p', k, q'] = Σ_{p, q} A[p, k, q] · dy[(p, q), (p', q')]` into `db` (overwritten).
fn grad_second(dy: &[f32], sa: Side, a: &[f32], sb: Side, batch: usize, db: &mut [f32]) {
    db.fill(0.0);
    let (j_len, k) = (sb.p * sb.q, sa.k);
    let out_numel = sa.p * sa.q * j_len;
    if k == 0 || sa.q == 0 || sb.q == 0 {
        return;
    }
    for s in 0..batch {
        let dy = &dy[s * out_numel..(s + 1) * out_numel];
        let a = &a[s * sa.numel()..(s + 1) * sa.numel()];
        let db = &mut db[s * sb.numel()..(s + 1) * sb.numel()];
        for p2 in 0..sb.p {
            for p in 0..sa.p {
                let (ia, iy, ib) = (p * k * sa.q, p * sa.q * j_len + p2 * sb.q, p2 * k * sb.q);
                #[rustfmt::skip]
                sgemm(k, sa.q, sb.q, 1.0,
                    &a[ia..], sa.q as isize, 1,
                    &dy[iy..], j_len as isize, 1,
                    1.0, &mut db[ib..], sb.q as isize, 1);
            }
        }
    }
}

/// Backward through the normalisation of `x` (laid out as `s`, inverse norms `inv`): from the
/// gradient `g` with respect to `x̂` into `dx`.
fn unnormalize(x: &[f32], s: Side, inv: &[f32], g: &[f32], dx: &mut [f32]) {
    for (fiber, &f) in inv.iter().enumerate() {
        let (bp, q) = (fiber / s.q.max(1), fiber % s.q.max(1));
        let base = bp * s.k * s.q + q;
        let at = |k: usize| base + k * s.q;
        if f == INV_CAP {
            for k in 0..s.k {
                dx[at(k)] = f * g[at(k)];
            }
        } else {
            let dot: f32 = (0..s.k).map(|k| g[at(k)] * x[at(k)] * f).sum();
            for k in 0..s.k {
                dx[at(k)] = f * (g[at(k)] - x[at(k)] * f * dot);
            }
        }
    }
}

impl Stage for Dot {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        rule_dims("Dot", inputs.len(), |j| inputs[j], |d| self.rule(d))
    }

    /// `y[b, (p, q), (p', q')] = Σ_k A[b, p, k, q] · B[b, p', k, q']`, of the normalised inputs
    /// with `normalize`.
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let (out, [sa, sb]) = self.layout(args.inputs, args.batch)?;
        check_buffer("Dot", "output", out.batch_numel(args.batch).unwrap_or(usize::MAX), y.len())?;
        let (x0, x1) = (args.inputs[0].data, args.inputs[1].data);
        if self.normalize {
            self.normalize_input(0, x0, sa, args.batch);
            self.normalize_input(1, x1, sb, args.batch);
            contract(&self.unit[0][..x0.len()], sa, &self.unit[1][..x1.len()], sb, args.batch, y);
        } else {
            contract(x0, sa, x1, sb, args.batch, y);
        }
        Ok(())
    }

    /// `dA = dy · Bᵀ`, `dB = Aᵀ · dy` per block, then through the normalisation.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let (out, [sa, sb]) = self.layout(args.inputs, args.batch)?;
        check_buffer("Dot", "gradient inputs", 2, grad_inputs.len())?;
        check_buffer(
            "Dot",
            "output gradient",
            out.batch_numel(args.batch).unwrap_or(usize::MAX),
            args.grad_output.len(),
        )?;
        let (x0, x1, dy, batch) = (args.inputs[0].data, args.inputs[1].data, args.grad_output, args.batch);
        let [g0, g1] = grad_inputs else { return Ok(()) };
        if let Some(dx) = g0.as_deref() {
            check_buffer("Dot", "input gradient", x0.len(), dx.len())?;
        }
        if let Some(dx) = g1.as_deref() {
            check_buffer("Dot", "input gradient", x1.len(), dx.len())?;
        }
        if !self.normalize {
            if let Some(dx) = g0.as_deref_mut() {
                grad_first(dy, sa, x1, sb, batch, dx);
            }
            if let Some(dx) = g1.as_deref_mut() {
                grad_second(dy, sa, x0, sb, batch, dx);
            }
            return Ok(());
        }
        self.normalize_input(0, x0, sa, batch);
        self.normalize_input(1, x1, sb, batch);
        let (unit, inv, grad_unit) = (&self.unit, &self.inv, &mut self.grad_unit);
        if let Some(dx) = g0.as_deref_mut() {
            grow(&mut grad_unit[0], x0.len());
            let g = &mut grad_unit[0][..x0.len()];
            grad_first(dy, sa, &unit[1][..x1.len()], sb, batch, g);
            unnormalize(x0, sa, &inv[0][..batch * sa.p * sa.q], g, dx);
        }
        if let Some(dx) = g1.as_deref_mut() {
            grow(&mut grad_unit[1], x1.len());
            let g = &mut grad_unit[1][..x1.len()];
            grad_second(dy, sa, &unit[0][..x0.len()], sb, batch, g);
            unnormalize(x1, sb, &inv[1][..batch * sb.p * sb.q], g, dx);
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::Drop
    }

    fn kind(&self) -> String {
        "Dot".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::{backward_many, forward_many};

    fn dims(d: &[usize]) -> Dims {
        Dims::new(d).unwrap()
    }

    #[test]
    fn contracts_the_named_axes() {
        // One sample: A [2, 3], B [2, 3]; axes (2, 2) → A·Bᵀ [2, 2].
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0, 0.0, -1.0, 2.0, 1.0, 0.0];
        let inputs = [Input::new(&a, dims(&[2, 3])), Input::new(&b, dims(&[2, 3]))];
        let mut y = [0.0; 4];
        forward_many(&mut Dot::new([2, 2], false), &inputs, 1, &mut y, Mode::Inference).unwrap();
        assert_eq!(y, [-2.0, 4.0, -2.0, 13.0]);
        // Axes (1, 1) → Aᵀ·B [3, 3]: y[i, j] = Σ_t A[t, i] B[t, j].
        let mut y = [0.0; 9];
        forward_many(&mut Dot::new([1, 1], false), &inputs, 1, &mut y, Mode::Inference).unwrap();
        assert_eq!(y, [9.0, 4.0, -1.0, 12.0, 5.0, -2.0, 15.0, 6.0, -3.0]);
        // Backward of L = Σ y: dA[t, i] = Σ_j B[t, j], dB[t, j] = Σ_i A[t, i].
        let (mut da, mut db) = ([0.0; 6], [0.0; 6]);
        let mut grads = [Some(&mut da[..]), Some(&mut db[..])];
        backward_many(&mut Dot::new([1, 1], false), &inputs, 1, &y, &[1.0; 9], &mut grads).unwrap();
        assert_eq!(da, [0.0, 0.0, 0.0, 3.0, 3.0, 3.0]);
        assert_eq!(db, [6.0, 6.0, 6.0, 15.0, 15.0, 15.0]);
    }

    #[test]
    fn normalize_gives_cosines() {
        let (a, b) = ([3.0, 4.0, 0.0, 0.0], [4.0, 3.0, 1.0, 0.0]);
        let inputs = [Input::new(&a, dims(&[2])), Input::new(&b, dims(&[2]))];
        let mut y = [0.0; 2];
        forward_many(&mut Dot::new([-1, -1], true), &inputs, 2, &mut y, Mode::Inference).unwrap();
        // cos = 24/25; an all-zero vector normalises to zero (the cap, no NaN).
        assert!((y[0] - 0.96).abs() < 1e-6 && y[1] == 0.0, "{y:?}");
        let (mut da, mut db) = ([0.0; 4], [0.0; 4]);
        let mut grads = [Some(&mut da[..]), Some(&mut db[..])];
        backward_many(&mut Dot::new([-1, -1], true), &inputs, 2, &y, &[1.0, 1.0], &mut grads).unwrap();
        // d cos / d a = (b̂ − cos · â) / |a| = ((0.8, 0.6) − 0.96 (0.6, 0.8)) / 5; at zero, b̂ / ε.
        let expected = [(0.8 - 0.96 * 0.6) / 5.0, (0.6 - 0.96 * 0.8) / 5.0, 1e7, 0.0];
        for (d, e) in da.iter().zip(expected) {
            assert!((d - e).abs() <= 1e-6 * e.abs().max(1.0), "{da:?}");
        }
        assert!(db[2..].iter().all(|&d| d == 0.0), "{db:?}");
    }

    #[test]
    fn wrong_inputs_are_errors_naming_them() {
        let a = [0.0; 6];
        let err = Dot::new([1, 1], false).output_dims(&[dims(&[3])]).unwrap_err().to_string();
        assert_eq!(err, "layer `Dot` takes exactly 2 inputs, but is given 1");
        let inputs = [Input::new(&a, dims(&[3])), Input::new(&a[..4], dims(&[2]))];
        let mut y = [0.0; 2];
        let err =
            forward_many(&mut Dot::new([1, 1], false), &inputs, 2, &mut y, Mode::Inference).unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer `Dot` needs equal sizes on its dot axes (1, 1), but input #0 has 3 on axis 1 and input #1 has 2 on axis 1"
        );
        assert_eq!(Dot::new([1, 1], false).mask_rule(), MaskRule::Drop);
    }
}
