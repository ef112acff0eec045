//! `Embedding(input_dim, output_dim, mask_zero)`: `y[t] = E[id_t]`, a table lookup per token.
//!
//! Shape contract: input `[T]` of token ids → output `[T, output_dim]` (any input rank up to
//! 4 works without `mask_zero`: `[..]` → `[.., output_dim]`). Weights in Keras layout:
//! `embeddings (input_dim, output_dim)`, initialised as Keras's `uniform`, U(−0.05, 0.05).
//!
//! Ids arrive as `u32` ([`Input::ids`]: a model input declared `u32[..]`), exact for every id,
//! or as a lookup layer's indices (`StringLookup(output_mode = int)`), integers in `f32`.
//! An id ≥ `input_dim` is an [`Error::InvalidArgument`] naming the id, its sample and position,
//! and `input_dim` (`fit` and `predict` check every id before the first batch; this is the
//! last line). Keras differs here: the TensorFlow backend raises, but the JAX backend returns a
//! NaN row.
//!
//! Mask: with `mask_zero`, the output mask is `id != 0` ([`MaskRule::Produce`]), so id 0 is
//! padding and `input_dim` must be the vocabulary size + 1. Without it the input's mask (from
//! padded data) passes through ([`MaskRule::Keep`]); Keras's `compute_mask` returns `None`
//! there, but a Keras input never carries a data mask.
//!
//! Backward: `dE = Σ_{b,t} onehot(id_{b,t}) ⊗ dy_{b,t}`, a scatter-add of the rows of `dy`
//! (repeated ids accumulate). Ids are not differentiable: there is no input gradient.

use crate::data::rng::SplitMix64;
use crate::error::{Error, Result};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// Keras's `uniform` initializer limit for embeddings: U(−0.05, 0.05).
const INIT_LIMIT: f32 = 0.05;

/// A lookup table from token ids to vectors (see the module docs for the shape contract).
#[derive(Clone, Debug)]
pub struct Embedding {
    input_dim: usize,
    output_dim: usize,
    mask_zero: bool,
    shape: [usize; 2],
    embeddings: Vec<f32>,
    grad: Vec<f32>,
}

impl Embedding {
    /// A table of `input_dim` rows of `output_dim` values, drawn from U(−0.05, 0.05) with `rng`.
    /// With `mask_zero`, id 0 marks padding and the layer produces the mask `id != 0`.
    pub fn new(input_dim: usize, output_dim: usize, mask_zero: bool, rng: &mut SplitMix64) -> Self {
        let embeddings: Vec<f32> =
            (0..input_dim * output_dim).map(|_| (2.0 * rng.next_f32() - 1.0) * INIT_LIMIT).collect();
        Embedding {
            input_dim,
            output_dim,
            mask_zero,
            shape: [input_dim, output_dim],
            grad: vec![0.0; embeddings.len()],
            embeddings,
        }
    }

    /// The number of rows (vocabulary size, + 1 with `mask_zero`).
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// The length of each vector.
    pub fn output_dim(&self) -> usize {
        self.output_dim
    }

    /// Whether id 0 is padding (the layer then produces a mask).
    pub fn mask_zero(&self) -> bool {
        self.mask_zero
    }

    /// The table, `(input_dim, output_dim)` row-major.
    pub fn embeddings(&self) -> &[f32] {
        &self.embeddings
    }

    /// The row index of the id at flat position `i` of the input, or an error naming it.
    fn row(&self, input: &Input<'_>, i: usize, per_sample: usize) -> Result<usize> {
        let (sample, position) = (i / per_sample.max(1), i % per_sample.max(1));
        match input.id(i) {
            Some(id) if (id as usize) < self.input_dim => Ok(id as usize),
            Some(id) => Err(Error::InvalidArgument {
                name: "token id",
                detail: format!(
                    "sample {sample}, position {position} holds id {id}, which is not in [0, {}) (Embedding input_dim = {})",
                    self.input_dim, self.input_dim
                ),
            }),
            None => Err(Error::InvalidArgument {
                name: "token id",
                detail: format!(
                    "sample {sample}, position {position} holds {}, which is not a token id (a non-negative integer)",
                    input.data.get(i).copied().unwrap_or(f32::NAN)
                ),
            }),
        }
    }
}

impl Stage for Embedding {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Embedding")?;
        rule_dims_one("Embedding", input, |d| shaped_rules::embedding(d, self.output_dim))
    }

    /// `y[b, t, :] = E[x[b, t], :]`; `Err` on the first id that is not a row of the table.
    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input("Embedding")?;
        let d = self.output_dim;
        let per_sample = input.dims.numel();
        for (i, out) in y.chunks_exact_mut(d.max(1)).take(input.len()).enumerate() {
            let r = self.row(&input, i, per_sample)?;
            out.copy_from_slice(&self.embeddings[r * d..(r + 1) * d]);
        }
        Ok(())
    }

    /// `dE = 0`, then `dE[x[b, t], :] += dy[b, t, :]` for every position; `dx` is left alone.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let input = args.input("Embedding")?;
        let dy = args.grad_output;
        // Ids are not differentiable: an input gradient slot, if any, is left alone.
        let _ = grad_inputs;
        let d = self.output_dim;
        let per_sample = input.dims.numel();
        self.grad.fill(0.0);
        for (i, g) in dy.chunks_exact(d.max(1)).take(input.len()).enumerate() {
            let r = self.row(&input, i, per_sample)?;
            for (acc, v) in self.grad[r * d..(r + 1) * d].iter_mut().zip(g) {
                *acc += v;
            }
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        if self.mask_zero {
            MaskRule::Produce
        } else {
            MaskRule::Keep
        }
    }

    /// `mask[b · T + t] = (x[b, t] != 0)`, as Keras's `compute_mask` with `mask_zero`.
    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        let input = args.input("Embedding")?;
        if out_mask.len() != input.len() {
            return Err(Error::LengthMismatch {
                context: "Embedding ids and their mask".into(),
                left: input.len(),
                right: out_mask.len(),
            });
        }
        for (i, m) in out_mask.iter_mut().enumerate() {
            *m = if input.id(i) != Some(0) { 1.0 } else { 0.0 };
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "Embedding".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        visit(Param {
            name: "embeddings",
            shape: &self.shape,
            data: &self.embeddings,
            grad: &self.grad,
            trainable: true,
        });
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        visit(ParamMut {
            name: "embeddings",
            shape: &self.shape,
            data: &mut self.embeddings,
            grad: &mut self.grad,
            trainable: true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::{assert_close, Chain};

    /// A 4 × 2 table with rows `[10r, 10r + 1]`.
    fn fixed(mask_zero: bool) -> Embedding {
        let mut e = Embedding::new(4, 2, mask_zero, &mut SplitMix64::new(0));
        e.visit_params_mut(&mut |p| p.data.copy_from_slice(&[0.0, 1.0, 10.0, 11.0, 20.0, 21.0, 30.0, 31.0]));
        e
    }

    #[test]
    fn looks_up_rows_and_scatter_adds_gradients() {
        let mut chain = Chain::new(vec![("embedding", Box::new(fixed(true)))]).with_token_ids();
        let dims = Dims::new(&[3]).unwrap();
        // ids [[2, 0, 2], [3, 1, 0]]
        let x = [2.0, 0.0, 2.0, 3.0, 1.0, 0.0];
        let y = chain.forward(&x, dims, 2, None, Mode::Training).unwrap();
        assert_close(y, &[20.0, 21.0, 0.0, 1.0, 20.0, 21.0, 30.0, 31.0, 10.0, 11.0, 0.0, 1.0], 0.0);
        assert_eq!(fixed(true).output_dims(&[dims]).unwrap().as_slice(), &[3, 2]);
        assert_eq!(chain.mask(0).unwrap(), [1.0, 0.0, 1.0, 1.0, 1.0, 0.0]);

        // dE[r] = Σ of dy rows whose id is r: row 2 gets dy[0] + dy[2], row 0 gets dy[1] + dy[5].
        let dy = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        for _ in 0..2 {
            // Twice: the gradient is overwritten, not accumulated across calls.
            chain.backward(&dy).unwrap();
            let mut grad = Vec::new();
            chain.visit_params(&mut |p| grad.extend_from_slice(p.grad));
            assert_close(&grad, &[14.0, 16.0, 9.0, 10.0, 6.0, 8.0, 7.0, 8.0], 0.0);
        }
        assert_eq!(fixed(true).mask_rule(), MaskRule::Produce);
        assert_eq!(fixed(false).mask_rule(), MaskRule::Keep);
    }

    #[test]
    fn init_is_keras_uniform() {
        let e = Embedding::new(100, 16, false, &mut SplitMix64::new(3));
        assert!(e.embeddings().iter().all(|w| w.abs() <= INIT_LIMIT));
        assert!(e.embeddings().iter().any(|w| w.abs() > 0.9 * INIT_LIMIT));
        assert_eq!(e.param_count(), 1600);
    }

    #[test]
    fn bad_ids_name_the_id_its_position_and_the_table_size() {
        let mut chain = Chain::new(vec![("embedding", Box::new(fixed(false)))]).with_token_ids();
        let dims = Dims::new(&[2]).unwrap();
        let err = chain.forward(&[1.0, 2.0, 3.0, 4.0], dims, 2, None, Mode::Inference).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid `token id`: sample 1, position 1 holds id 4, which is not in [0, 4) (Embedding input_dim = 4)"
        );
        // A lookup's indices arrive as floats: whole numbers are ids, anything else an error.
        let mut floats = Chain::new(vec![("embedding", Box::new(fixed(false)))]);
        assert_eq!(
            floats.forward(&[1.0, 2.0], dims, 1, None, Mode::Inference).unwrap(),
            [10.0, 11.0, 20.0, 21.0]
        );
        let err = floats.forward(&[1.0, 2.5], dims, 1, None, Mode::Inference).unwrap_err();
        assert!(err.to_string().contains("holds 2.5, which is not a token id"), "{err}");
    }

    #[test]
    fn rank_rules() {
        // The shared rule, as `model!` checks it: one token id per step.
        let err = fixed(true).output_dims(&[Dims::new(&[3, 2]).unwrap()]).unwrap_err().to_string();
        assert_eq!(
            err,
            "layer `Embedding` expects [length] (one token id per step) input, but its input is [3, 2]"
        );
        assert!(fixed(false).output_dims(&[Dims::new(&[3, 2]).unwrap()]).is_err());
        assert_eq!(fixed(false).output_dims(&[Dims::new(&[7]).unwrap()]).unwrap().as_slice(), &[7, 2]);
    }
}
