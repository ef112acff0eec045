//! `Dense(units, activation, use_bias)`: `y = act(x @ K + b)` over the last axis.
//!
//! Shape contract: input `[.., in]` → output `[.., units]`; every leading axis is kept, so a
//! `[None, 12]` sequence becomes `[None, units]`. Weights in Keras layout: `kernel (in, units)`,
//! `bias (units,)`. Defaults as Keras: glorot_uniform kernel, zero bias, linear activation.
//!
//! Backward, with `z = x @ K + b` and `dz = act'(z) ⊙ dy`: `dK = xᵀ · dz`, `db = Σ_rows dz`,
//! `dx = dz · Kᵀ`: two gemms for the whole batch.

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::error::{Error, Result};
use crate::kernels::gemm::{matmul, matmul_a_bt_with, matmul_at_b};
use crate::kernels::rowwise::{column_sums, fill_rows};
use crate::layers::activation::Activation;
use crate::layers::activation::ActivationFn;
use crate::layers::init::glorot_uniform;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, Stage};
use crate::layers::{Mode, Param, ParamMut};
use crate::shape::Dims;

/// A fully connected layer (see the module docs for the shape contract).
#[derive(Clone, Debug)]
pub struct Dense {
    in_features: usize,
    units: usize,
    activation: Activation,
    use_bias: bool,
    kernel_shape: [usize; 2],
    bias_shape: [usize; 1],
    kernel: Vec<f32>,
    bias: Vec<f32>,
    kernel_grad: Vec<f32>,
    bias_grad: Vec<f32>,
    /// Pre-activations of the last training forward, kept only for activations whose
    /// derivative needs them (gelu, softsign, swish); grown, never shrunk.
    z: Vec<f32>,
    /// Scratch for `dz`; grown, never shrunk.
    dz: Vec<f32>,
    /// Scratch for `Kᵀ` in `dx = dz · Kᵀ`; sized once.
    kernel_t: Vec<f32>,
}

impl Dense {
    /// A dense layer with a glorot-uniform kernel drawn from `rng` and a zero bias.
    pub fn new(
        in_features: usize,
        units: usize,
        activation: Activation,
        use_bias: bool,
        rng: &mut SplitMix64,
    ) -> Self {
        let mut kernel = vec![0.0; in_features * units];
        glorot_uniform(rng, in_features, units, &mut kernel);
        Dense {
            in_features,
            units,
            activation,
            use_bias,
            kernel_shape: [in_features, units],
            bias_shape: [units],
            kernel_grad: vec![0.0; kernel.len()],
            kernel,
            bias: if use_bias { vec![0.0; units] } else { Vec::new() },
            bias_grad: if use_bias { vec![0.0; units] } else { Vec::new() },
            z: Vec::new(),
            dz: Vec::new(),
            kernel_t: Vec::new(),
        }
    }

    /// Input features (the kernel's rows).
    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// Output features.
    pub fn units(&self) -> usize {
        self.units
    }

    /// The activation applied after the affine map.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The kernel, `(in, units)` row-major.
    pub fn kernel(&self) -> &[f32] {
        &self.kernel
    }

    /// The bias, `(units,)`; empty when `use_bias = false`.
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// `y = act(x @ K + b)` for `rows` rows of `in` features: one gemm for the whole batch.
    pub fn forward_rows(&self, x: &[f32], rows: usize, y: &mut [f32]) {
        self.affine_rows(x, rows, y);
        self.activation.forward_in_place(y, self.units);
    }

    /// `z = x @ K + b` for `rows` rows: the bias is written first and the gemm accumulates
    /// onto it.
    fn affine_rows(&self, x: &[f32], rows: usize, z: &mut [f32]) {
        fill_rows(z, &self.bias);
        matmul(rows, self.in_features, self.units, x, &self.kernel, z, self.use_bias);
    }
}

impl Stage for Dense {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Dense")?;
        let output = rule_dims_one("Dense", input, |d| shaped_rules::dense(d, self.units))?;
        // Beyond the shape rule: the kernel was built for `in_features`.
        if input.last() != self.in_features {
            return Err(Error::shape(
                "input of `Dense`",
                format!("(None, …, {})", self.in_features),
                input.with_batch_none(),
            ));
        }
        Ok(output)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("Dense")?;
        let (batch, mode) = (args.batch, args.mode);
        let rows = batch * (in_dims.numel() / self.in_features.max(1));
        if mode == Mode::Training && self.activation.backward_needs_input() {
            self.affine_rows(x, rows, y);
            grow(&mut self.z, y.len());
            self.z[..y.len()].copy_from_slice(y);
            self.activation.forward_in_place(y, self.units);
        } else {
            self.forward_rows(x, rows, y);
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("Dense")?;
        let (batch, y, dy, dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        let (k, n) = (self.in_features, self.units);
        let rows = batch * (in_dims.numel() / k.max(1));
        let dz: &[f32] = if dy_is_preactivation || self.activation == Activation::Linear {
            dy
        } else {
            grow(&mut self.dz, dy.len());
            let z = if self.activation.backward_needs_input() { &self.z[..dy.len()] } else { &[][..] };
            self.activation.backward(z, y, dy, &mut self.dz[..dy.len()], n);
            &self.dz[..dy.len()]
        };
        matmul_at_b(k, rows, n, x, dz, &mut self.kernel_grad, false);
        column_sums(dz, &mut self.bias_grad);
        if let Some(dx) = dx {
            matmul_a_bt_with(rows, n, k, dz, &self.kernel, dx, false, &mut self.kernel_t);
        }
        Ok(())
    }

    fn output_activation(&self) -> Option<Activation> {
        Some(self.activation)
    }

    fn kind(&self) -> String {
        "Dense".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        visit(Param {
            name: "kernel",
            shape: &self.kernel_shape,
            data: &self.kernel,
            grad: &self.kernel_grad,
            trainable: true,
        });
        if self.use_bias {
            visit(Param {
                name: "bias",
                shape: &self.bias_shape,
                data: &self.bias,
                grad: &self.bias_grad,
                trainable: true,
            });
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        visit(ParamMut {
            name: "kernel",
            shape: &self.kernel_shape,
            data: &mut self.kernel,
            grad: &mut self.kernel_grad,
            trainable: true,
        });
        if self.use_bias {
            visit(ParamMut {
                name: "bias",
                shape: &self.bias_shape,
                data: &mut self.bias,
                grad: &mut self.bias_grad,
                trainable: true,
            });
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::testing::assert_close;

    fn fixed(activation: Activation) -> Dense {
        let mut d = Dense::new(3, 2, activation, true, &mut SplitMix64::new(1));
        // K = [[1, -1], [2, 0.5], [-1, 1]], b = [0.5, -2]
        d.visit_params_mut(&mut |p| match p.name {
            "kernel" => p.data.copy_from_slice(&[1.0, -1.0, 2.0, 0.5, -1.0, 1.0]),
            _ => p.data.copy_from_slice(&[0.5, -2.0]),
        });
        d
    }

    #[test]
    fn affine_then_activation_by_hand() {
        // x = [[1, 2, 3], [0, -1, 1]]
        // x@K + b: row 0 = [1+4-3+0.5, -1+1+3-2] = [2.5, 1]; row 1 = [0-2-1+0.5, 0-0.5+1-2] = [-2.5, -1.5]
        let x = [1.0, 2.0, 3.0, 0.0, -1.0, 1.0];
        let mut y = [f32::NAN; 4];
        fixed(Activation::Linear).forward_rows(&x, 2, &mut y);
        assert_close(&y, &[2.5, 1.0, -2.5, -1.5], 1e-6);
        fixed(Activation::Relu).forward_rows(&x, 2, &mut y);
        assert_close(&y, &[2.5, 1.0, 0.0, 0.0], 1e-6);
    }

    #[test]
    fn sequence_input_keeps_leading_axes() {
        let d = fixed(Activation::Linear);
        let out = d.output_dims(&[Dims::new(&[7, 3]).unwrap()]).unwrap();
        assert_eq!(out.as_slice(), &[7, 2]);
        let err = d.output_dims(&[Dims::new(&[4]).unwrap()]).unwrap_err().to_string();
        assert_eq!(err, "input of `Dense` must have shape (None, …, 3), but has shape (None, 4)");
    }

    #[test]
    fn glorot_limits_and_zero_bias() {
        let d = Dense::new(64, 128, Activation::Relu, true, &mut SplitMix64::new(42));
        let limit = (6.0f32 / (64.0 + 128.0)).sqrt();
        assert!(d.kernel().iter().all(|w| w.abs() <= limit));
        assert!(d.kernel().iter().any(|w| w.abs() > limit * 0.9));
        assert!(d.bias().iter().all(|&b| b == 0.0));
        assert_eq!(d.param_count(), 64 * 128 + 128);
        let again = Dense::new(64, 128, Activation::Relu, true, &mut SplitMix64::new(42));
        assert_eq!(d.kernel(), again.kernel());
    }
}
