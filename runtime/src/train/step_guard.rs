//! [`StepGuard`]: undoes a training step that made a weight non-finite.
//!
//! When a step leaves a NaN or ±∞ in any weight, [`StepGuard::restore`] puts back every tensor
//! the step changed, so the model keeps the weights of its last finite step and `fit` returns
//! an `Err` instead of a model of NaN. Two ways to know the values from before the step:
//!
//! - the built-in optimizers leave them in each parameter's gradient buffer and report the
//!   first non-finite value they write, from inside their update loop, at no measurable cost
//!   ([`Optimizer::keeps_previous_values`]);
//! - for any other optimizer the guard copies each tensor before the update and scans it
//!   after, into one buffer that grows to the model's weight count on the first step.
//!
//! Either way nothing is allocated per step once the first step has run.

use crate::buffer::grow;
use crate::kernels::elementwise::all_finite;
use crate::layers::ParamMut;
use crate::train::optim::{NonFiniteValue, Optimizer};

/// Per tensor updated in a step: the address of its first value (which names it within the
/// step), and where its copy is in `undo` (offset, length) when the guard made one.
type Updated = (usize, Option<(usize, usize)>);

/// What one step updated, and the first non-finite weight it left.
#[derive(Debug, Default)]
pub(crate) struct StepGuard {
    /// The optimizer of this step keeps the previous values in the gradient buffers.
    trusted: bool,
    undo: Vec<f32>,
    updated: Vec<Updated>,
    used: usize,
    failure: Option<NonFiniteValue>,
}

impl StepGuard {
    /// Starts a step of `optimizer`: forgets the previous step.
    pub(crate) fn begin(&mut self, optimizer: &dyn Optimizer) {
        self.trusted = optimizer.keeps_previous_values();
        self.updated.clear();
        self.used = 0;
        self.failure = None;
    }

    /// Runs `update` (the optimizer's step for one tensor) on `p`, recording the tensor; for an
    /// optimizer that does not keep the previous values, copies them first (once per step,
    /// however many times the optimizer visits the tensor) and checks the new ones after. A
    /// non-trainable weight is passed over: training never changes it.
    pub(crate) fn update(&mut self, p: ParamMut<'_>, update: &mut dyn FnMut(ParamMut<'_>)) {
        let ParamMut { name, shape, data, grad, trainable } = p;
        if !trainable {
            return;
        }
        let key = data.as_ptr() as usize;
        if !self.updated.iter().any(|&(k, _)| k == key) {
            let copy = (!self.trusted).then(|| {
                let (start, len) = (self.used, data.len());
                grow(&mut self.undo, start + len);
                self.undo[start..start + len].copy_from_slice(data);
                self.used += len;
                (start, len)
            });
            self.updated.push((key, copy));
        }
        update(ParamMut { name, shape, data: &mut *data, grad, trainable });
        if !self.trusted && self.failure.is_none() && !all_finite(data) {
            self.failure = NonFiniteValue::find(name, data);
        }
    }

    /// The first non-finite weight the step left, if any (asking `optimizer` when it reports
    /// them itself).
    pub(crate) fn finish(&mut self, optimizer: &mut dyn Optimizer) -> Option<&NonFiniteValue> {
        if self.trusted {
            self.failure = optimizer.take_non_finite();
        }
        self.failure.as_ref()
    }

    /// Puts back the values, from before this step, of every tensor it updated: `visit` shows
    /// the model's weights (`Model::visit_weights_mut`).
    pub(crate) fn restore(&self, visit: impl FnOnce(&mut dyn FnMut(ParamMut<'_>))) {
        visit(&mut |p: ParamMut<'_>| {
            let key = p.data.as_ptr() as usize;
            match self.updated.iter().find(|&&(k, _)| k == key) {
                Some((_, Some((start, len)))) if *len == p.data.len() => {
                    p.data.copy_from_slice(&self.undo[*start..start + len]);
                }
                Some((_, None)) if self.trusted && p.grad.len() == p.data.len() => {
                    p.data.copy_from_slice(p.grad);
                }
                _ => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::optim::{IntoOptimizer, Sgd};

    /// A plain SGD step `w ← w − lr·g` that does not keep the previous values.
    struct Plain(f32);

    impl Optimizer for Plain {
        fn name(&self) -> &'static str {
            "plain"
        }
        fn iterations(&self) -> u64 {
            0
        }
        fn current_learning_rate(&self) -> f32 {
            self.0
        }
        fn set_learning_rate(&mut self, lr: f32) -> crate::Result<()> {
            self.0 = lr;
            Ok(())
        }
        fn apply_gradients(&mut self, visit: &mut dyn FnMut(&mut dyn FnMut(ParamMut<'_>))) {
            let lr = self.0;
            visit(&mut |p| p.data.iter_mut().zip(p.grad.iter()).for_each(|(w, g)| *w -= lr * g));
        }
    }

    /// One step of `optimizer` on one tensor through `guard`.
    fn step(guard: &mut StepGuard, optimizer: &mut dyn Optimizer, w: &mut [f32], g: &mut [f32]) {
        guard.begin(optimizer);
        optimizer.apply_gradients(&mut |visit| {
            guard.update(
                ParamMut { name: "dense/kernel", shape: &[2], data: &mut *w, grad: &mut *g, trainable: true },
                visit,
            )
        });
    }

    fn undo_on(optimizer: &mut dyn Optimizer) {
        let mut guard = StepGuard::default();
        let (mut w, mut g) = ([1.0f32, 2.0], [1.0f32, 1.0]);
        step(&mut guard, optimizer, &mut w, &mut g);
        assert_eq!((w, guard.finish(optimizer)), ([0.5, 1.5], None));

        g = [1.0, f32::NAN];
        step(&mut guard, optimizer, &mut w, &mut g);
        let failure = guard.finish(optimizer).cloned().unwrap();
        assert_eq!((failure.name.as_str(), failure.index), ("dense/kernel", 1));
        assert!(failure.value.is_nan());
        guard.restore(|visit| {
            visit(ParamMut { name: "dense/kernel", shape: &[2], data: &mut w, grad: &mut g, trainable: true })
        });
        assert_eq!(w, [0.5, 1.5], "the weights of the last finite step");
    }

    #[test]
    fn a_finite_step_is_kept_and_a_non_finite_one_undone() {
        undo_on(&mut Plain(0.5));
        undo_on(&mut *Sgd { learning_rate: 0.5.into(), ..Default::default() }.into_optimizer().unwrap());
    }
}
