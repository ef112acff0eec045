//! [`Weights`]: the three weight tensors of every recurrent cell, as Keras lays them out.

use crate::data::rng::SplitMix64;
use crate::layers::init::{glorot_uniform, orthogonal};
use crate::layers::{Param, ParamMut};

/// The weights of a recurrent cell, in Keras layout and order, with their gradients:
/// `kernel (F, G·u)`, `recurrent_kernel (u, G·u)` and, with `use_bias`, `bias` (shape given
/// by the cell), for `F` input features and `G` gate blocks of `u` units.
///
/// The first `G·u` values of the bias are added to the input projection `x @ kernel` (all of
/// it, except GRU with `reset_after`, whose bias `(2, 3u)` holds the recurrent bias in its
/// second row): the layer computes their gradient, the cell the rest.
#[derive(Clone, Debug)]
pub struct Weights {
    /// `kernel`, `F × G·u` row-major.
    pub(crate) kernel: Vec<f32>,
    /// `recurrent_kernel`, `u × G·u` row-major.
    pub(crate) recurrent: Vec<f32>,
    /// `bias`, empty without `use_bias`.
    pub(crate) bias: Vec<f32>,
    /// The gradients of the three, same lengths.
    pub(crate) kernel_grad: Vec<f32>,
    pub(crate) recurrent_grad: Vec<f32>,
    pub(crate) bias_grad: Vec<f32>,
    kernel_shape: [usize; 2],
    recurrent_shape: [usize; 2],
    bias_shape: Vec<usize>,
    /// `<cell>/kernel`, `<cell>/recurrent_kernel`, `<cell>/bias`.
    names: [&'static str; 3],
}

impl Weights {
    /// Keras's initialisers: glorot_uniform kernel (fans `F`, `G·u`), orthogonal recurrent
    /// kernel, zero bias (`bias_shape` empty: no bias), drawn from `rng` in that order.
    pub(crate) fn new(
        in_features: usize,
        units: usize,
        gates: usize,
        bias_shape: &[usize],
        names: [&'static str; 3],
        rng: &mut SplitMix64,
    ) -> Self {
        let width = gates * units;
        let mut kernel = vec![0.0; in_features * width];
        glorot_uniform(rng, in_features, width, &mut kernel);
        let mut recurrent = vec![0.0; units * width];
        orthogonal(rng, units, width, &mut recurrent);
        let bias_len = if bias_shape.is_empty() { 0 } else { bias_shape.iter().product() };
        Weights {
            kernel_grad: vec![0.0; kernel.len()],
            recurrent_grad: vec![0.0; recurrent.len()],
            bias_grad: vec![0.0; bias_len],
            kernel,
            recurrent,
            bias: vec![0.0; bias_len],
            kernel_shape: [in_features, width],
            recurrent_shape: [units, width],
            bias_shape: bias_shape.to_vec(),
            names,
        }
    }

    /// `F`, the features of each input step (the kernel's rows).
    pub fn in_features(&self) -> usize {
        self.kernel_shape[0]
    }

    /// `u`, the width of each state (the recurrent kernel's rows).
    pub fn units(&self) -> usize {
        self.recurrent_shape[0]
    }

    /// `G·u`, the width of the gate pre-activations (the kernels' columns).
    pub fn width(&self) -> usize {
        self.kernel_shape[1]
    }

    /// The gradient of the input-side bias, the first `G·u` values of the bias gradient
    /// (empty without a bias).
    pub(crate) fn input_bias_grad_mut(&mut self) -> &mut [f32] {
        let n = self.width().min(self.bias_grad.len());
        &mut self.bias_grad[..n]
    }

    /// Visits kernel, recurrent kernel and (if any) bias, in Keras order.
    pub(crate) fn visit(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let [k, r, b] = self.names;
        visit(Param {
            name: k,
            shape: &self.kernel_shape,
            data: &self.kernel,
            grad: &self.kernel_grad,
            trainable: true,
        });
        visit(Param {
            name: r,
            shape: &self.recurrent_shape,
            data: &self.recurrent,
            grad: &self.recurrent_grad,
            trainable: true,
        });
        if !self.bias.is_empty() {
            visit(Param {
                name: b,
                shape: &self.bias_shape,
                data: &self.bias,
                grad: &self.bias_grad,
                trainable: true,
            });
        }
    }

    /// [`Weights::visit`], writable.
    pub(crate) fn visit_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let [k, r, b] = self.names;
        visit(ParamMut {
            name: k,
            shape: &self.kernel_shape,
            data: &mut self.kernel,
            grad: &mut self.kernel_grad,
            trainable: true,
        });
        visit(ParamMut {
            name: r,
            shape: &self.recurrent_shape,
            data: &mut self.recurrent,
            grad: &mut self.recurrent_grad,
            trainable: true,
        });
        if !self.bias.is_empty() {
            visit(ParamMut {
                name: b,
                shape: &self.bias_shape,
                data: &mut self.bias,
                grad: &mut self.bias_grad,
                trainable: true,
            });
        }
    }
}
