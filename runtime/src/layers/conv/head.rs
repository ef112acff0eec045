//! [`Head`]: what follows a convolution's gemms: the bias, the activation, the zeros at padded
//! output positions, and their backward (`dz = act'(z) ⊙ dy`, `db = Σ_positions dz`).

use crate::buffer::grow;
use crate::kernels::rowwise::{add_to_rows, column_sums};
use crate::layers::activation::{Activation, ActivationFn};
use crate::layers::{Mode, Param, ParamMut};

/// Zeroes the padded output positions of a masked batch in a buffer of outputs (or of their
/// gradients).
pub(super) type ZeroPadded<'z> = Option<&'z dyn Fn(&mut [f32])>;

/// The bias and activation over `width` output channels (see the module docs).
#[derive(Clone, Debug)]
pub(super) struct Head {
    pub activation: Activation,
    pub use_bias: bool,
    pub width: usize,
    /// `(width,)`, empty without a bias.
    pub bias: Vec<f32>,
    /// The bias's shape, `[width]`.
    bias_shape: [usize; 1],
    pub bias_grad: Vec<f32>,
    /// Pre-activations of the last training forward, for activations whose derivative reads
    /// them; grown, never shrunk.
    z: Vec<f32>,
    /// Scratch for `dz`; grown, never shrunk.
    dz: Vec<f32>,
}

impl Head {
    /// A head with a zero bias (Keras's `zeros`) when `use_bias`.
    pub fn new(width: usize, activation: Activation, use_bias: bool) -> Self {
        let bias = if use_bias { vec![0.0; width] } else { Vec::new() };
        Head {
            activation,
            use_bias,
            width,
            bias_grad: bias.clone(),
            bias,
            bias_shape: [width],
            z: Vec::new(),
            dz: Vec::new(),
        }
    }

    /// Visits a convolution's `kernel` and then, when there is one, the bias (Keras's order).
    pub fn visit_with_kernel(&self, kernel: Param<'_>, visit: &mut dyn FnMut(Param<'_>)) {
        visit(kernel);
        if self.use_bias {
            let (data, grad) = (&self.bias[..], &self.bias_grad[..]);
            visit(Param { name: "bias", shape: &self.bias_shape, data, grad, trainable: true });
        }
    }

    /// [`Head::visit_with_kernel`], writable.
    pub fn visit_with_kernel_mut(&mut self, kernel: ParamMut<'_>, visit: &mut dyn FnMut(ParamMut<'_>)) {
        visit(kernel);
        if self.use_bias {
            let (data, grad) = (&mut self.bias[..], &mut self.bias_grad[..]);
            visit(ParamMut { name: "bias", shape: &self.bias_shape, data, grad, trainable: true });
        }
    }

    /// `out = act(out + b)` on the gemms' output (keeping `z = out + b` in training when the
    /// backward needs it), then `zero` (the padded output positions of a masked batch). With
    /// `relu` or no activation, bias and activation are one pass over `out`.
    pub fn finish(&mut self, out: &mut [f32], mode: Mode, zero: ZeroPadded<'_>) {
        let bias = &self.bias[..];
        match self.activation {
            Activation::Relu if self.use_bias => {
                for row in out.chunks_exact_mut(self.width.max(1)) {
                    for (o, &b) in row.iter_mut().zip(bias) {
                        // As the relu activation: a NaN stays NaN (`max` would hide it).
                        let z = *o + b;
                        *o = if z < 0.0 { 0.0 } else { z };
                    }
                }
            }
            _ => {
                if self.use_bias {
                    add_to_rows(out, bias);
                }
                if mode == Mode::Training && self.activation.backward_needs_input() {
                    grow(&mut self.z, out.len());
                    self.z[..out.len()].copy_from_slice(out);
                }
                self.activation.forward_in_place(out, self.width);
            }
        }
        if let Some(zero) = zero {
            zero(out);
        }
    }

    /// `dz` for output `y` and its gradient `dy` (already `dz` when `dy_is_preactivation`),
    /// zero where `zero` says (padded output positions); writes the bias gradient.
    pub fn grad<'a>(
        &'a mut self,
        y: &[f32],
        dy: &'a [f32],
        dy_is_preactivation: bool,
        zero: ZeroPadded<'_>,
    ) -> &'a [f32] {
        let n = dy.len();
        let dz: &[f32] = if (dy_is_preactivation || self.activation == Activation::Linear) && zero.is_none() {
            dy
        } else {
            grow(&mut self.dz, n);
            if dy_is_preactivation || self.activation == Activation::Linear {
                self.dz[..n].copy_from_slice(dy);
            } else {
                let z = if self.activation.backward_needs_input() { &self.z[..n] } else { &[][..] };
                self.activation.backward(z, y, dy, &mut self.dz[..n], self.width);
            }
            if let Some(zero) = zero {
                zero(&mut self.dz[..n]);
            }
            &self.dz[..n]
        };
        if self.use_bias {
            column_sums(dz, &mut self.bias_grad);
        }
        dz
    }
}
