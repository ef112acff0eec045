//! `Bidirectional(layer, merge_mode)`: the layer forwards and a copy of it backwards over the
//! same input, outputs merged.
//!
//! Shape contract: input `[T, F]` → the wrapped layer's output with the last axis doubled for
//! [`MergeMode::Concat`] (`[T, 2u]` or `[2u]`), unchanged for the other modes. Weights: the
//! forward layer's as `forward_<layer>/...`, then the backward copy's as `backward_<layer>/...`
//! (`forward_lstm/lstm_cell/kernel`, …), as Keras names them.
//!
//! Forward, as Keras: `y_f = fwd(x)`, `y_b = bwd(x)` (the copy has `go_backwards` flipped);
//! with `return_sequences` `y_b` is flipped back to input order and both layers output zeros
//! at masked steps (Keras forces `zero_output_for_mask`); then `y = merge(y_f, y_b)`:
//! `concat([y_f, y_b])`, `y_f + y_b`, `y_f ⊙ y_b` or `(y_f + y_b) / 2`.
//! Backward: `dy` is split by the merge's derivative, each layer runs its own backward, and
//! `dx` is the sum of the two input gradients.

use crate::buffer::grow;
use crate::data::rng::SplitMix64;
use crate::error::{Error, Result};
use crate::layers::recurrent::timeline::check_len;
use crate::layers::recurrent::RnnOptions;
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::{Param, ParamMut};
use crate::shape::Dims;

/// What [`Bidirectional`] needs from the layer it wraps.
pub trait Recurrent: Stage {
    /// The layer's units (the width of its state and of each output step).
    fn units(&self) -> usize;

    /// The features of each input step.
    fn in_features(&self) -> usize;

    /// The layer's configuration.
    fn options(&self) -> &RnnOptions;

    /// Keras's snake-case name of the layer type (`"lstm"`), which `Bidirectional` prefixes
    /// with `forward_` / `backward_` in its weight names.
    fn keras_name(&self) -> &'static str;

    /// Sets [`RnnOptions::zero_output_for_mask`] (what Keras's `Bidirectional` forces).
    fn set_zero_output_for_mask(&mut self, zero: bool);

    /// A new layer with the same configuration except `go_backwards`, and fresh weights drawn
    /// from `rng` with the layer's initialisers.
    fn sibling(&self, go_backwards: bool, rng: &mut SplitMix64) -> Self
    where
        Self: Sized;
}

/// How [`Bidirectional`] combines the two directions (Keras's `merge_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MergeMode {
    /// `concat([y_f, y_b], axis=-1)`: the last axis doubles (Keras's default).
    #[default]
    Concat,
    /// `y_f + y_b`.
    Sum,
    /// `y_f ⊙ y_b`.
    Mul,
    /// `(y_f + y_b) / 2`.
    Ave,
}

/// A recurrent layer run in both directions (see the module docs for the shape contract).
#[derive(Clone, Debug)]
pub struct Bidirectional<R> {
    forward: R,
    backward: R,
    merge_mode: MergeMode,
    /// Weight names: the forward layer's with `forward_<layer>/`, then the backward's.
    names: Vec<String>,
    /// The two layers' outputs and output gradients, `batch × numel(inner output)`.
    y_forward: Vec<f32>,
    y_backward: Vec<f32>,
    dy_forward: Vec<f32>,
    dy_backward: Vec<f32>,
    /// The backward layer's input gradient.
    dx_backward: Vec<f32>,
}

impl<R: Recurrent> Bidirectional<R> {
    /// Wraps `forward`; the backward copy has the same configuration with `go_backwards`
    /// flipped and its own weights drawn from `rng`. Both output zeros at masked steps when
    /// returning sequences (Keras's `Bidirectional` forces `zero_output_for_mask`).
    pub fn new(mut forward: R, merge_mode: MergeMode, rng: &mut SplitMix64) -> Self {
        let sequences = forward.options().return_sequences;
        forward.set_zero_output_for_mask(sequences);
        let mut backward = forward.sibling(!forward.options().go_backwards, rng);
        backward.set_zero_output_for_mask(sequences);
        let layer = forward.keras_name();
        let mut names = Vec::new();
        forward.visit_params(&mut |p| names.push(format!("forward_{layer}/{}", p.name)));
        backward.visit_params(&mut |p| names.push(format!("backward_{layer}/{}", p.name)));
        Bidirectional {
            forward,
            backward,
            merge_mode,
            names,
            y_forward: Vec::new(),
            y_backward: Vec::new(),
            dy_forward: Vec::new(),
            dy_backward: Vec::new(),
            dx_backward: Vec::new(),
        }
    }

    /// The layer running in the wrapped layer's direction.
    pub fn forward_layer(&self) -> &R {
        &self.forward
    }

    /// The copy running the other way.
    pub fn backward_layer(&self) -> &R {
        &self.backward
    }

    /// How the two outputs are combined.
    pub fn merge_mode(&self) -> MergeMode {
        self.merge_mode
    }

    /// `(steps, units)` of the inner layers' output for `in_dims`: `steps` is 1 without
    /// `return_sequences`.
    fn inner_layout(&self, in_dims: Dims) -> Result<(usize, usize, bool)> {
        let inner = self.forward.output_dims(&[in_dims])?;
        let sequences = self.forward.options().return_sequences;
        let steps = if sequences { inner.as_slice()[0] } else { 1 };
        Ok((steps, self.forward.units(), sequences))
    }
}

impl<R: Recurrent> Stage for Bidirectional<R> {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Bidirectional")?;
        let inner = self.forward.output_dims(&[input])?;
        Ok(match self.merge_mode {
            MergeMode::Concat => inner.with_last(2 * inner.last()),
            _ => inner,
        })
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let Input { dims: in_dims, .. } = args.input("Bidirectional")?;
        let batch = args.batch;
        let (steps, u, sequences) = self.inner_layout(in_dims)?;
        let out = self.output_dims(&[in_dims])?;
        check_len("Bidirectional", "output", batch * out.numel(), y.len())?;
        let len = batch * steps * u;
        grow(&mut self.y_forward, len);
        grow(&mut self.y_backward, len);
        self.forward.forward(args, &mut self.y_forward[..len])?;
        self.backward.forward(args, &mut self.y_backward[..len])?;
        let width = out.last();
        for b in 0..batch {
            for t in 0..steps {
                let at = (b * steps + t) * u;
                let back = if sequences { (b * steps + steps - 1 - t) * u } else { at };
                let (yf, yb) = (&self.y_forward[at..at + u], &self.y_backward[back..back + u]);
                let dst = &mut y[(b * steps + t) * width..(b * steps + t + 1) * width];
                match self.merge_mode {
                    MergeMode::Concat => {
                        dst[..u].copy_from_slice(yf);
                        dst[u..].copy_from_slice(yb);
                    }
                    MergeMode::Sum => {
                        dst.iter_mut().zip(yf.iter().zip(yb)).for_each(|(d, (f, b))| *d = f + b)
                    }
                    MergeMode::Mul => {
                        dst.iter_mut().zip(yf.iter().zip(yb)).for_each(|(d, (f, b))| *d = f * b)
                    }
                    MergeMode::Ave => {
                        dst.iter_mut().zip(yf.iter().zip(yb)).for_each(|(d, (f, b))| *d = (f + b) / 2.0)
                    }
                }
            }
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let Input { data: x, dims: in_dims, .. } = args.input("Bidirectional")?;
        let (batch, _y, dy, _dy_is_preactivation) =
            (args.batch, args.output, args.grad_output, args.dy_is_preactivation);
        let dx = single_grad(grad_inputs);
        let (steps, u, sequences) = self.inner_layout(in_dims)?;
        let out = self.output_dims(&[in_dims])?;
        check_len("Bidirectional", "output gradient", batch * out.numel(), dy.len())?;
        let len = batch * steps * u;
        if self.y_forward.len() < len {
            return Err(Error::InvalidArgument {
                name: "backward",
                detail: "`Bidirectional` backward needs the forward pass of the same batch first".into(),
            });
        }
        grow(&mut self.dy_forward, len);
        grow(&mut self.dy_backward, len);
        let width = out.last();
        for b in 0..batch {
            for t in 0..steps {
                let at = (b * steps + t) * u;
                let back = if sequences { (b * steps + steps - 1 - t) * u } else { at };
                let d = &dy[(b * steps + t) * width..(b * steps + t + 1) * width];
                let (df, db) = (&mut self.dy_forward[at..at + u], &mut self.dy_backward[back..back + u]);
                match self.merge_mode {
                    MergeMode::Concat => {
                        df.copy_from_slice(&d[..u]);
                        db.copy_from_slice(&d[u..]);
                    }
                    MergeMode::Sum => {
                        df.copy_from_slice(d);
                        db.copy_from_slice(d);
                    }
                    MergeMode::Ave => {
                        df.iter_mut().zip(d).for_each(|(g, d)| *g = d / 2.0);
                        db.iter_mut().zip(d).for_each(|(g, d)| *g = d / 2.0);
                    }
                    MergeMode::Mul => {
                        let (yf, yb) = (&self.y_forward[at..at + u], &self.y_backward[back..back + u]);
                        df.iter_mut().zip(d.iter().zip(yb)).for_each(|(g, (d, v))| *g = d * v);
                        db.iter_mut().zip(d.iter().zip(yf)).for_each(|(g, (d, v))| *g = d * v);
                    }
                }
            }
        }
        let inner =
            |output, grad_output| Backward { output, grad_output, dy_is_preactivation: false, ..args };
        let forward_args = inner(&self.y_forward[..len], &self.dy_forward[..len]);
        let backward_args = inner(&self.y_backward[..len], &self.dy_backward[..len]);
        match dx {
            Some(dx) => {
                check_len("Bidirectional", "input gradient", x.len(), dx.len())?;
                grow(&mut self.dx_backward, dx.len());
                let dxb = &mut self.dx_backward[..dx.len()];
                self.forward.backward(forward_args, &mut [Some(&mut *dx)])?;
                self.backward.backward(backward_args, &mut [Some(&mut *dxb)])?;
                dx.iter_mut().zip(dxb.iter()).for_each(|(a, b)| *a += b);
            }
            None => {
                self.forward.backward(forward_args, &mut [None])?;
                self.backward.backward(backward_args, &mut [None])?;
            }
        }
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        if self.forward.options().return_sequences {
            MaskRule::Keep
        } else {
            MaskRule::Drop
        }
    }

    fn kind(&self) -> String {
        "Bidirectional".into()
    }

    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let names = &self.names;
        let mut i = 0;
        let mut rename = |p: Param<'_>| {
            let name = names.get(i).map_or(p.name, String::as_str);
            i += 1;
            visit(Param { name, ..p })
        };
        self.forward.visit_params(&mut rename);
        self.backward.visit_params(&mut rename);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let names = &self.names;
        let mut i = 0;
        let mut rename = |p: ParamMut<'_>| {
            let name = names.get(i).map_or(p.name, String::as_str);
            i += 1;
            visit(ParamMut { name, ..p })
        };
        self.forward.visit_params_mut(&mut rename);
        self.backward.visit_params_mut(&mut rename);
    }
}
