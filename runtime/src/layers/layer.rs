//! The extension point: [`Layer`], implemented by custom layers and by every model that
//! `model!` generates (so a model can be a layer of another).

use crate::error::Result;
use crate::layers::stage::MaskRule;
use crate::shape::{Check, Dims, Shape};
use crate::tensor::{TensorMut, TensorRef};

/// Whether a forward pass is for training (dropout active) or inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Inference: dropout is the identity.
    #[default]
    Inference,
    /// Training: dropout drops.
    Training,
}

/// A named weight tensor, read-only: `name` is a Keras-style path (`dense/kernel`).
#[derive(Debug)]
pub struct Param<'a> {
    /// Keras-style name relative to the layer (`kernel`, `bias`) or, from a model, the full path.
    pub name: &'a str,
    /// The weight's shape in Keras layout (`Dense` kernel: `(in, units)`).
    pub shape: &'a [usize],
    /// Row-major values.
    pub data: &'a [f32],
    /// The gradient of the loss with respect to `data` from the last backward pass, same layout.
    pub grad: &'a [f32],
    /// Whether training updates it. A non-trainable weight (a running statistic, say) is saved
    /// and loaded with the others but never changed by an optimiser (Keras's
    /// `non_trainable_weights`).
    pub trainable: bool,
}

/// A named weight tensor, writable (see [`Param`]).
#[derive(Debug)]
pub struct ParamMut<'a> {
    /// Keras-style name relative to the layer (`kernel`, `bias`) or, from a model, the full path.
    pub name: &'a str,
    /// The weight's shape in Keras layout.
    pub shape: &'a [usize],
    /// Row-major values.
    pub data: &'a mut [f32],
    /// The gradient from the last backward pass; optimisers may clip it in place.
    pub grad: &'a mut [f32],
    /// Whether training updates it (see [`Param::trainable`]).
    pub trainable: bool,
}

/// A layer that maps a batch of `In`-shaped samples to a batch of `Out`-shaped samples.
///
/// Implement it for a custom layer and use the layer in `model!` as a Rust expression:
/// `Scale::new(2.0)`, or `Scale::new(2.0) -> [64]` to declare its output shape so the macro
/// keeps checking everything after it.
///
/// ```
/// use shaped_runtime::layers::{Layer, Mode};
/// use shaped_runtime::shape::Shape;
/// use shaped_runtime::tensor::{TensorMut, TensorRef};
///
/// /// Multiplies every value by a constant: `y = factor · x`, shape unchanged.
/// struct Scale { factor: f32 }
///
/// impl<S: Shape> Layer<S> for Scale {
///     type Out = S;
///     fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _mode: Mode) -> shaped_runtime::Result<()> {
///         for (o, i) in y.data_mut().iter_mut().zip(x.data()) {
///             *o = self.factor * i;
///         }
///         Ok(())
///     }
///
///     /// `dx = factor · dy`; no weights.
///     fn backward(
///         &mut self,
///         _x: TensorRef<'_, S>,
///         _y: TensorRef<'_, S>,
///         dy: TensorRef<'_, S>,
///         dx: Option<TensorMut<'_, S>>,
///     ) -> shaped_runtime::Result<()> {
///         if let Some(mut dx) = dx {
///             for (g, d) in dx.data_mut().iter_mut().zip(dy.data()) {
///                 *g = self.factor * d;
///             }
///         }
///         Ok(())
///     }
/// }
/// ```
///
/// # A layer for one shape, with weights, in a model
///
/// A layer written for one input shape implements `Layer` for that shape only, spelled with
/// [`dim!`](https://docs.rs/shaped/latest/shaped/macro.dim.html): `(shaped::dim!(64),)` is the
/// shape `[64]`, `(shaped::dim!(8), shaped::dim!(8))` is `[8, 8]`, and `shaped::shape::Dyn`
/// stands for `None`. A model that gives it another shape is a compile error on the layer's
/// line, in plain numbers. Its weights are shown through `visit_params`/`visit_params_mut`,
/// which is how they are trained, saved and loaded.
///
/// ```
/// use shaped::prelude::*;
/// use shaped::layers::{Param, ParamMut};
///
/// type In = (shaped::dim!(4),);
///
/// /// `y = x · w` per feature: one trainable weight per input feature.
/// struct FeatureScale { w: [f32; 4], grad: [f32; 4] }
///
/// impl Layer<In> for FeatureScale {
///     type Out = In;
///     fn forward(&mut self, x: TensorRef<'_, In>, mut y: TensorMut<'_, In>, _: Mode) -> shaped::Result<()> {
///         for (out, row) in y.data_mut().chunks_mut(4).zip(x.data().chunks(4)) {
///             for i in 0..4 {
///                 out[i] = row[i] * self.w[i];
///             }
///         }
///         Ok(())
///     }
///     /// `dw_i = Σ_batch x_i · dy_i`, `dx_i = w_i · dy_i`.
///     fn backward(&mut self, x: TensorRef<'_, In>, _y: TensorRef<'_, In>, dy: TensorRef<'_, In>,
///                 dx: Option<TensorMut<'_, In>>) -> shaped::Result<()> {
///         self.grad = [0.0; 4];
///         for (row, d) in x.data().chunks(4).zip(dy.data().chunks(4)) {
///             for i in 0..4 {
///                 self.grad[i] += row[i] * d[i];
///             }
///         }
///         if let Some(mut dx) = dx {
///             for (g, d) in dx.data_mut().chunks_mut(4).zip(dy.data().chunks(4)) {
///                 for i in 0..4 {
///                     g[i] = self.w[i] * d[i];
///                 }
///             }
///         }
///         Ok(())
///     }
///     fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
///         visit(Param { name: "w", shape: &[4], data: &self.w, grad: &self.grad, trainable: true });
///     }
///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
///         visit(ParamMut { name: "w", shape: &[4], data: &mut self.w, grad: &mut self.grad, trainable: true });
///     }
/// }
///
/// shaped::model! {
///     struct Net {
///         input: [4],
///         scale: FeatureScale { w: [1.0; 4], grad: [0.0; 4] } -> [4],
///         Dense(1),
///     }
/// }
///
/// let x = vec![[1.0, 2.0, 3.0, 4.0]; 8];
/// let y = vec![[1.0f32]; 8];
/// let mut model = Net::new(0).compile(Sgd::default(), MeanSquaredError, [])?;
/// model.fit(&x, &y, FitOptions { epochs: 3, verbose: Verbose::Silent, ..Default::default() })?;
/// let mut names = Vec::new();
/// model.visit_weights(&mut |p| names.push(p.name.to_string()));
/// assert_eq!(names, ["scale/w", "dense/kernel", "dense/bias"]);
/// # Ok::<(), shaped::Error>(())
/// ```
///
/// The shape contract:
/// - `CHECK` is evaluated at compile time for the input shape the model gives the layer; a
///   failure becomes a compile error on the layer's line. Build it with the const constructors
///   of [`Check`] from `In::DIMS`, e.g. `Check::last_dim(In::DIMS, 128, "input features")`.
/// - `forward` receives `input` with dims fitting `In` and an `output` buffer whose dims are
///   [`Layer::output_dims`] of the input dims; it must write every element of `output`.
pub trait Layer<In: Shape> {
    /// The per-sample output shape.
    type Out: Shape;

    /// The layer's rule for the input shape `In`, checked when the user's crate compiles.
    const CHECK: Check = Check::Pass;

    /// The runtime per-sample output dims for runtime input dims.
    ///
    /// The default copies `Out`'s static axes and takes each runtime axis of `Out` from the
    /// input axis at the same position; override it when a runtime axis changes size.
    fn output_dims(&self, input: Dims) -> Result<Dims> {
        default_output_dims(Self::Out::DIMS, input)
    }

    /// Computes `output` from `input` for every sample of the batch.
    fn forward(
        &mut self,
        input: TensorRef<'_, In>,
        output: TensorMut<'_, Self::Out>,
        mode: Mode,
    ) -> Result<()>;

    /// Gradients, after a `forward` in [`Mode::Training`] on the same `input`.
    ///
    /// Contract: `output` is what that forward wrote and `grad_output` the gradient of the loss
    /// with respect to it. Overwrite (do not add to) the gradient of each of your weights, the
    /// `grad` that [`Layer::visit_params_mut`] shows; and when `grad_input` is `Some`, write
    /// the gradient with respect to `input` into it (every element). A layer without weights
    /// only fills `grad_input`.
    fn backward(
        &mut self,
        input: TensorRef<'_, In>,
        output: TensorRef<'_, Self::Out>,
        grad_output: TensorRef<'_, Self::Out>,
        grad_input: Option<TensorMut<'_, In>>,
    ) -> Result<()>;

    /// What happens to the input's mask (padded sequence steps) at this layer. The default is
    /// Keras's for a layer that does not declare `supports_masking`: the mask ends here. Return
    /// [`MaskRule::Keep`] for a layer that works on each step alone, or
    /// [`MaskRule::Produce`] with [`Layer::produce_mask`] for one that computes a new mask.
    /// The input's mask, if any, is [`TensorRef::mask`].
    fn mask_rule(&self) -> MaskRule {
        MaskRule::Drop
    }

    /// For [`MaskRule::Produce`], after `forward`: the output's mask (`batch · steps` values,
    /// 1.0 for a real step). The default marks every step real.
    fn produce_mask(&self, input: TensorRef<'_, In>, out_mask: &mut [f32]) -> Result<()> {
        let _ = input;
        out_mask.fill(1.0);
        Ok(())
    }

    /// The type shown in `summary()`, `Scale` for `my_crate::Scale`.
    fn kind(&self) -> String {
        short_type_name(std::any::type_name::<Self>())
    }

    /// Calls `visit` once per weight tensor, in Keras's `layer.weights` order.
    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let _ = visit;
    }

    /// Calls `visit` once per weight tensor, writable, in the same order as `visit_params`.
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let _ = visit;
    }

    /// The layer's configuration as a JSON object (its arguments, Keras's `get_config`), which
    /// whole-model files save and compare on load (`load_model` names the first key that
    /// differs). For a layer deriving `serde::Serialize`: `serde_json::to_string(self).ok()`.
    ///
    /// The default, `None`, saves the layer's weights only; the file records `"config": null`
    /// for it, and loading cannot tell whether its arguments changed.
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// struct Scale { factor: f32 }
    ///
    /// impl<S: Shape> Layer<S> for Scale {
    ///     type Out = S;
    ///     fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
    ///         y.data_mut().iter_mut().zip(x.data()).for_each(|(y, x)| *y = x * self.factor);
    ///         Ok(())
    ///     }
    ///     fn backward(
    ///         &mut self,
    ///         _: TensorRef<'_, S>,
    ///         _: TensorRef<'_, S>,
    ///         dy: TensorRef<'_, S>,
    ///         dx: Option<TensorMut<'_, S>>,
    ///     ) -> shaped::Result<()> {
    ///         if let Some(mut dx) = dx {
    ///             dx.data_mut().iter_mut().zip(dy.data()).for_each(|(dx, dy)| *dx = dy * self.factor);
    ///         }
    ///         Ok(())
    ///     }
    ///     fn config(&self) -> Option<String> {
    ///         Some(format!(r#"{{"factor": {}}}"#, self.factor))
    ///     }
    /// }
    ///
    /// type In = (shaped::dim!(4),);
    /// assert_eq!(Layer::<In>::config(&Scale { factor: 2.0 }).as_deref(), Some(r#"{"factor": 2}"#));
    /// ```
    fn config(&self) -> Option<String> {
        None
    }

    /// Takes the configuration a whole-model file holds for this layer, after `load_model`
    /// found it equal to [`Layer::config`]. Default: nothing to do.
    fn load_config(&mut self, config: &str) -> Result<()> {
        let _ = config;
        Ok(())
    }

    /// State that is neither a weight nor configuration but that later training steps depend
    /// on (a random generator), as text: saved in whole-model files so that training resumes
    /// exactly. Default `None`; a nested model returns the state of its own layers.
    fn state(&self) -> Option<String> {
        None
    }

    /// Restores what [`Layer::state`] returned. Default: nothing to do.
    fn load_state(&mut self, state: &str) -> Result<()> {
        let _ = state;
        Ok(())
    }
}

/// Output dims from a shape pattern: static axes as given, runtime axes from the input's same
/// position. `Err` if a runtime axis has no input axis to take its size from.
pub fn default_output_dims(pattern: &[Option<usize>], input: Dims) -> Result<Dims> {
    let mut out = [0usize; crate::shape::MAX_RANK];
    for (i, d) in pattern.iter().enumerate() {
        out[i] = match d {
            Some(d) => *d,
            None if input.rank() == pattern.len() => input.as_slice()[i],
            None => {
                return Err(crate::error::Error::InvalidArgument {
                    name: "output_dims",
                    detail: format!(
                        "the output shape {} has a runtime axis {i} that the input {input} does not give; override `Layer::output_dims`",
                        Dims::keras_pattern(pattern)
                    ),
                })
            }
        };
    }
    Ok(Dims::new(&out[..pattern.len()]).expect("a Shape has rank ≤ MAX_RANK"))
}

/// The last path segment of a type name without generics: `a::b::Scale<f32>` → `Scale`.
pub fn short_type_name(full: &str) -> String {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_default_dims() {
        assert_eq!(short_type_name("my_crate::layers::Scale<f32>"), "Scale");
        let d = default_output_dims(&[None, Some(8)], Dims::new(&[5, 3]).unwrap()).unwrap();
        assert_eq!(d.as_slice(), &[5, 8]);
        assert!(default_output_dims(&[None], Dims::new(&[5, 3]).unwrap()).is_err());
    }
}
