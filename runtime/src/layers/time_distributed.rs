//! `TimeDistributed(layer)`: the same inner layer, with shared weights, applied to every step.
//!
//! Shape contract: input `[T, ..rest]` (`rest` non-empty) → output `[T, ..inner_out]`, where
//! `inner_out` is the inner layer's output for `rest`. A batch of `b` samples is handed to the
//! inner layer as one batch of `b · T` samples of dims `rest`: the flat buffers are the same,
//! so `y[b, t] = inner(x[b, t])` costs no copy, and the weight gradients sum over every step.
//!
//! Weights are the inner layer's, named `<inner_name>/<weight>` (`dense/kernel`), which the
//! model prefixes with this layer's name: `time_distributed/dense/kernel`, Keras 3's variable
//! path (checked in `scripts/keras_reference/sequence_layers.py`).
//!
//! Mask: the input's mask passes through ([`MaskRule::Keep`], Keras's `supports_masking`). The
//! inner layer runs without it: each of its samples is a single step, so a step mask has
//! nothing to say about the inner layer's own axes. Padded steps are computed like real ones
//! (Keras does the same); they get zero gradient when every layer after this one honours the
//! mask.
//!
//! The output activation is the inner layer's, so a loss may fuse with e.g. a softmax `Dense`.

use crate::error::{Error, Result};
use crate::layers::stage::{
    single_dims, visit_prefixed, visit_prefixed_mut, Backward, Forward, Input, MaskRule, Stage,
};
use crate::layers::{Activation, Param, ParamMut};
use crate::shape::{Dims, MAX_RANK};

/// Applies an inner layer to every step of a sequence (see the module docs).
pub struct TimeDistributed {
    inner: Box<dyn Stage>,
    inner_name: String,
}

impl TimeDistributed {
    /// Wraps `inner`, whose weights are reported as `<inner_name>/<weight>` (Keras's name of
    /// the inner layer, e.g. `dense`).
    pub fn new(inner: Box<dyn Stage>, inner_name: &str) -> Self {
        TimeDistributed { inner, inner_name: inner_name.to_string() }
    }

    /// The wrapped layer.
    pub fn inner(&self) -> &dyn Stage {
        self.inner.as_ref()
    }

    /// The wrapped layer, writable.
    pub fn inner_mut(&mut self) -> &mut dyn Stage {
        self.inner.as_mut()
    }

    /// The name prefix of the inner layer's weights.
    pub fn inner_name(&self) -> &str {
        &self.inner_name
    }

    /// `[T, ..rest]` split into `T` and `rest`, or the error Keras gives for a rank below 3.
    fn split(input: Dims) -> Result<(usize, Dims)> {
        match input.as_slice() {
            [steps, rest @ ..] if !rest.is_empty() => Dims::new(rest)
                .map(|rest| (*steps, rest))
                .ok_or_else(|| Error::shape("input of `TimeDistributed`", "a rank of at most 5", input)),
            _ => Err(Error::shape(
                "input of `TimeDistributed`",
                "(None, steps, …) with at least 3 axes",
                input.with_batch_none(),
            )),
        }
    }
}

impl std::fmt::Debug for TimeDistributed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimeDistributed")
            .field("inner", &self.inner.kind())
            .field("inner_name", &self.inner_name)
            .finish()
    }
}

impl Stage for TimeDistributed {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "TimeDistributed")?;
        let (steps, rest) = Self::split(input)?;
        let inner = self.inner.output_dims(&[rest])?;
        let mut dims = [0; MAX_RANK + 1];
        dims[0] = steps;
        dims[1..=inner.rank()].copy_from_slice(inner.as_slice());
        Dims::new(&dims[..=inner.rank()]).ok_or_else(|| {
            Error::shape("output of `TimeDistributed`", "a rank of at most 5", input.with_batch_none())
        })
    }

    /// `y[b, t] = inner(x[b, t])`: one inner forward on `b · T` samples.
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("TimeDistributed")?;
        let (steps, rest) = Self::split(in_dims)?;
        let inputs = [Input::new(x, rest)];
        self.inner.forward(Forward { inputs: &inputs, batch: args.batch * steps, mode: args.mode }, y)
    }

    /// The inner backward on `b · T` samples: weight gradients summed over every step.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("TimeDistributed")?;
        let (steps, rest) = Self::split(in_dims)?;
        let inputs = [Input::new(x, rest)];
        self.inner.backward(Backward { inputs: &inputs, batch: args.batch * steps, ..args }, grad_inputs)
    }

    fn mask_rule(&self) -> MaskRule {
        MaskRule::Keep
    }

    fn output_activation(&self) -> Option<Activation> {
        self.inner.output_activation()
    }

    fn kind(&self) -> String {
        "TimeDistributed".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        visit_prefixed(self.inner.as_ref(), &self.inner_name, visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        visit_prefixed_mut(self.inner.as_mut(), &self.inner_name, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::rng::SplitMix64;
    use crate::layers::Dense;
    use crate::layers::Mode;
    use crate::testing::{backward_one, forward_one};

    fn td() -> TimeDistributed {
        let mut dense = Dense::new(2, 1, Activation::Linear, true, &mut SplitMix64::new(0));
        // K = [[1], [10]], b = [0.5]
        dense.visit_params_mut(&mut |p| match p.name {
            "kernel" => p.data.copy_from_slice(&[1.0, 10.0]),
            _ => p.data.copy_from_slice(&[0.5]),
        });
        TimeDistributed::new(Box::new(dense), "dense")
    }

    #[test]
    fn applies_the_inner_layer_to_each_step() {
        let mut td = td();
        let dims = Dims::new(&[3, 2]).unwrap();
        assert_eq!(td.output_dims(&[dims]).unwrap().as_slice(), &[3, 1]);
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0, 1.0, 1.0, -1.0, 0.0];
        let mut y = [f32::NAN; 6];
        forward_one(&mut td, &x, dims, 2, None, &mut y, Mode::Training).unwrap();
        assert_eq!(y, [21.5, 43.5, 65.5, 0.5, 11.5, -0.5]);
        // dK = Σ_steps x_t dy_t, db = Σ_steps dy_t
        let dy = [1.0, 0.0, 0.0, 0.0, 0.0, 2.0];
        let mut dx = [f32::NAN; 12];
        backward_one(&mut td, &x, dims, 2, None, &y, &dy, Some(&mut dx)).unwrap();
        let mut grads = Vec::new();
        td.visit_params(&mut |p| grads.push((p.name.to_string(), p.grad.to_vec())));
        assert_eq!(grads[0], ("dense/kernel".to_string(), vec![1.0 - 2.0, 2.0]));
        assert_eq!(grads[1], ("dense/bias".to_string(), vec![3.0]));
        assert_eq!(dx, [1.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 20.0]);
        assert_eq!(td.param_count(), 3);
    }

    #[test]
    fn needs_a_time_axis_and_reports_inner_errors() {
        let td = td();
        let err = td.output_dims(&[Dims::new(&[2]).unwrap()]).unwrap_err().to_string();
        assert_eq!(
            err,
            "input of `TimeDistributed` must have shape (None, steps, …) with at least 3 axes, but has shape (None, 2)"
        );
        let err = td.output_dims(&[Dims::new(&[4, 3]).unwrap()]).unwrap_err().to_string();
        assert_eq!(err, "input of `Dense` must have shape (None, …, 2), but has shape (None, 3)");
    }
}
