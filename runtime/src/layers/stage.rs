//! [`Stage`]: one node of a generated model, working on flat buffers and runtime dims.
//!
//! Built-in layers implement it directly (their kernels take `usize` dims, so their code is
//! compiled once, not once per shape); custom layers and nested models reach it through
//! [`crate::layers::Opaque`], which rebuilds the typed views their [`crate::layers::Layer`] impl
//! expects. A stage reads one input or several ([`Input`], one per node it reads: merges read
//! two or more); its arguments come in small structs, [`Forward`] and [`Backward`].

use crate::error::{Error, Result};
use crate::layers::{Mode, Param, ParamMut};
use crate::shape::Dims;
use crate::tensor::{InputDType, TextColumn};

/// One input of a stage: `batch` samples of per-sample `dims`, flat row-major, with the mask
/// of their positions when they are padded (`mask[b · positions + p]` is 1.0 for a real
/// position, 0.0 for padding; `positions = dims.mask_positions()`: the steps of a sequence
/// `[steps, features]`, the pixels of an image `[height, width, channels]`, whose real pixels
/// are the top-left rectangle of each sample, see [`crate::layers::spatial_mask`]).
///
/// Token ids travel as integers: a model input declared `u32[..]` reaches its `Embedding` as
/// `ids`, exact for every `u32` (an `f32` holds integers exactly only below 2²⁴); `data` is
/// empty then. Strings (a model input declared `String[1]`) reach their `StringLookup` or
/// `Hashing` as `text`, one per sample.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The values, `batch · numel(dims)` of them (empty for token ids).
    pub data: &'a [f32],
    /// The token ids of an id input, `batch · numel(dims)` of them; `None` for values.
    pub ids: Option<&'a [u32]>,
    /// The strings of a string input, one per sample; `None` otherwise.
    pub text: Option<TextColumn<'a>>,
    /// Per-sample dims.
    pub dims: Dims,
    /// The steps' mask, `None` when every step is real.
    pub mask: Option<&'a [f32]>,
}

impl<'a> Input<'a> {
    /// An input of values, without a mask.
    pub fn new(data: &'a [f32], dims: Dims) -> Self {
        Input { data, ids: None, text: None, dims, mask: None }
    }

    /// An input of token ids, without a mask.
    pub fn ids(ids: &'a [u32], dims: Dims) -> Self {
        Input { data: &[], ids: Some(ids), text: None, dims, mask: None }
    }

    /// An input of strings, one per sample (`dims` `[1]`).
    pub fn text(text: TextColumn<'a>, dims: Dims) -> Self {
        Input { data: &[], ids: None, text: Some(text), dims, mask: None }
    }

    /// The strings of a string input, or an `Err` naming `layer`, which reads strings (an
    /// input declared `String[1]`).
    pub fn strings(&self, layer: &str) -> Result<TextColumn<'a>> {
        self.text.ok_or_else(|| Error::InvalidArgument {
            name: "input",
            detail: format!("`{layer}` reads strings (an input declared `String[1]`), but was given numbers"),
        })
    }

    /// What the input holds.
    pub fn dtype(&self) -> InputDType {
        InputDType::of(self.ids.is_some(), self.text.is_some())
    }

    /// Value `i` (over the batch) of an input of token ids: a `u32` id of a model input, or an
    /// index a lookup layer wrote as an `f32` (exact: a lookup's indices are below its
    /// `max_tokens`, far below 2²⁴). `None` when `i` is past the end, or the value is not a
    /// non-negative integer.
    pub fn id(&self, i: usize) -> Option<u32> {
        match self.ids {
            Some(ids) => ids.get(i).copied(),
            None => self
                .data
                .get(i)
                .copied()
                .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v < 16_777_216.0)
                .map(|v| v as u32),
        }
    }

    /// The same input with `mask`.
    pub fn with_mask(self, mask: Option<&'a [f32]>) -> Self {
        Input { mask, ..self }
    }

    /// The number of values (or ids) the input holds.
    pub fn len(&self) -> usize {
        match (self.ids, self.text) {
            (Some(ids), _) => ids.len(),
            (None, Some(text)) => text.len(),
            (None, None) => self.data.len(),
        }
    }

    /// Whether the input holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a stage's forward pass gets: its inputs (one per node it reads), the batch size and
/// the mode.
#[derive(Clone, Copy, Debug)]
pub struct Forward<'a> {
    pub inputs: &'a [Input<'a>],
    pub batch: usize,
    pub mode: Mode,
}

impl<'a> Forward<'a> {
    /// The only input of a stage that reads one; `Err` naming `layer` when there are several.
    pub fn input(&self, layer: &str) -> Result<Input<'a>> {
        single(self.inputs, layer)
    }
}

/// What a stage's backward pass gets: the inputs and batch of the forward pass it follows
/// (run in [`Mode::Training`]), that pass's output, and the gradient of the loss with respect
/// to it (or to the pre-activation when `dy_is_preactivation`: a loss fused with the layer's
/// output activation, see [`Stage::output_activation`]).
#[derive(Clone, Copy, Debug)]
pub struct Backward<'a> {
    pub inputs: &'a [Input<'a>],
    pub batch: usize,
    pub output: &'a [f32],
    pub grad_output: &'a [f32],
    pub dy_is_preactivation: bool,
}

impl<'a> Backward<'a> {
    /// The only input of a stage that reads one; `Err` naming `layer` when there are several.
    pub fn input(&self, layer: &str) -> Result<Input<'a>> {
        single(self.inputs, layer)
    }
}

/// The one input of a single-input stage.
fn single<'a>(inputs: &[Input<'a>], layer: &str) -> Result<Input<'a>> {
    match inputs {
        [input] => Ok(*input),
        _ => Err(Error::LengthMismatch {
            context: format!("the inputs of `{layer}` and the one it reads"),
            left: inputs.len(),
            right: 1,
        }),
    }
}

/// A buffer handed to a stage (its output, a gradient) must hold `needed` values: `Err` naming
/// `layer`, `what` the buffer is and both lengths.
pub(crate) fn check_buffer(layer: &str, what: &str, needed: usize, found: usize) -> Result<()> {
    if needed == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            context: format!("`{layer}` {what} and its buffer"),
            left: needed,
            right: found,
        })
    }
}

/// The dims of the only input of a single-input stage (for [`Stage::output_dims`]).
pub fn single_dims(inputs: &[Dims], layer: &str) -> Result<Dims> {
    match inputs {
        [dims] => Ok(*dims),
        _ => Err(Error::LengthMismatch {
            context: format!("the inputs of `{layer}` and the one it reads"),
            left: inputs.len(),
            right: 1,
        }),
    }
}

/// The gradient buffer of the only input of a single-input stage, when it is wanted.
pub fn single_grad<'g>(grad_inputs: &'g mut [Option<&mut [f32]>]) -> Option<&'g mut [f32]> {
    grad_inputs.first_mut().and_then(|g| g.as_deref_mut())
}

/// One node of a model's straight-line forward code.
///
/// Contract: `forward` reads its inputs and writes every element of `output`
/// (`batch · numel(output_dims(inputs' dims))` values).
pub trait Stage {
    /// Per-sample output dims for the per-sample dims of the inputs; `Err` naming both if the
    /// inputs do not fit. Built-ins compute it with their shared rule (`shaped::rules`).
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims>;

    /// `output = f(inputs)` for `args.batch` samples.
    ///
    /// Layers that work on each step alone (Dense, Activation, Dropout) ignore the masks:
    /// padded steps get values that every mask-honouring layer after them ignores, and zero
    /// gradients. Layers that mix steps (recurrent layers, pooling over time) honour them, as
    /// Keras's `call(mask=...)`.
    fn forward(&mut self, args: Forward<'_>, output: &mut [f32]) -> Result<()>;

    /// Gradients for the batch of the last forward pass: overwrites the gradients of this
    /// layer's weights and, for each input whose slot of `grad_inputs` is `Some`, writes the
    /// gradient with respect to that input (its length). A model adds up the gradients that
    /// reach one node from several layers; a stage only writes its own.
    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()>;

    /// What happens to the mask at this layer (Keras's `supports_masking` / `compute_mask`).
    fn mask_rule(&self) -> MaskRule {
        MaskRule::Keep
    }

    /// For [`MaskRule::Produce`] and [`MaskRule::ProduceIf`]: writes the output's mask
    /// (`batch · positions` values, `positions` the output dims' [`Dims::mask_positions`]).
    fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
        let _ = args;
        out_mask.fill(1.0);
        Ok(())
    }

    /// The activation this layer ends with, which a loss may fuse with (softmax followed by
    /// crossentropy); `None` for layers that do not end with one.
    fn output_activation(&self) -> Option<crate::layers::Activation> {
        None
    }

    /// The type shown in `summary()`.
    fn kind(&self) -> String;

    /// For a layer that learns state from data (`Normalization`): itself as [`Adapt`];
    /// `None` for every other layer.
    ///
    /// [`Adapt`]: crate::layers::Adapt
    fn adapter(&mut self) -> Option<&mut dyn crate::layers::Adapt> {
        None
    }

    /// A custom layer's configuration as JSON ([`crate::layers::Layer::config`]), saved in
    /// whole-model files and compared on load. `None` for the built-ins, whose arguments the
    /// macro writes into [`crate::model::Network::NODES`], and for custom layers without one.
    fn config(&self) -> Option<String> {
        None
    }

    /// Takes the configuration a whole-model file holds for this layer (after it was compared
    /// with [`Stage::config`]). Default: nothing to do.
    fn load_config(&mut self, config: &str) -> Result<()> {
        let _ = config;
        Ok(())
    }

    /// State that is neither a weight nor configuration but that later steps depend on, as
    /// text (`Dropout`'s random generator): saved in whole-model files so that training resumes
    /// exactly. Default `None`.
    fn state(&self) -> Option<String> {
        None
    }

    /// Restores what [`Stage::state`] returned. Default: nothing to do.
    fn load_state(&mut self, state: &str) -> Result<()> {
        let _ = state;
        Ok(())
    }

    /// Calls `visit` once per weight tensor in Keras order; names are relative to the layer.
    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        let _ = visit;
    }

    /// Calls `visit` once per weight tensor, writable.
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        let _ = visit;
    }

    /// The number of weights (what `summary()` shows as `Param #`).
    fn param_count(&self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| n += p.data.len());
        n
    }

    /// The number of weights that training does not update ([`Param::trainable`] false).
    fn non_trainable_count(&self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| {
            if !p.trainable {
                n += p.data.len()
            }
        });
        n
    }
}

/// What a layer does with the mask of its input (Keras's mask propagation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskRule {
    /// The output has the input's mask (Dense, Dropout, Activation, recurrent layers with
    /// `return_sequences`).
    Keep,
    /// The output has no mask (Flatten, Reshape, pooling over time, recurrent layers returning
    /// their last output).
    Drop,
    /// The layer computes a new mask ([`Stage::produce_mask`]): Embedding with `mask_zero`,
    /// Masking.
    Produce,
    /// The output has a mask only when `Masked::Any` / `Masked::All` of the inputs have one,
    /// computed then by [`Stage::produce_mask`]; otherwise none. Keras's merges:
    /// `Concatenate.compute_mask` returns `None` when no input has a mask (`Any`), the other
    /// merges' `Merge.compute_mask` when one input has none (`All`).
    ProduceIf(Masked),
}

/// For [`MaskRule::ProduceIf`]: which inputs must have a mask for the output to have one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Masked {
    /// At least one input.
    Any,
    /// Every input.
    All,
}

/// Calls `f` with `prefix/name`, built on the stack when it fits (the optimiser visits every
/// weight on every step, so the common case must not allocate).
fn with_path<R>(prefix: &str, name: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 256];
    let len = prefix.len() + 1 + name.len();
    if len <= buf.len() {
        buf[..prefix.len()].copy_from_slice(prefix.as_bytes());
        buf[prefix.len()] = b'/';
        buf[prefix.len() + 1..len].copy_from_slice(name.as_bytes());
        if let Ok(path) = std::str::from_utf8(&buf[..len]) {
            return f(path);
        }
    }
    f(&format!("{prefix}/{name}"))
}

/// Visits a layer's weights with names prefixed by the layer's name: `kernel` → `dense/kernel`.
pub fn visit_prefixed(stage: &dyn Stage, prefix: &str, visit: &mut dyn FnMut(Param<'_>)) {
    stage.visit_params(&mut |p| with_path(prefix, p.name, |name| visit(Param { name, ..p })));
}

/// [`visit_prefixed`], writable.
pub fn visit_prefixed_mut(stage: &mut dyn Stage, prefix: &str, visit: &mut dyn FnMut(ParamMut<'_>)) {
    stage.visit_params_mut(&mut |p| with_path(prefix, p.name, |name| visit(ParamMut { name, ..p })));
}

#[cfg(test)]
mod tests {
    use super::with_path;

    #[test]
    fn paths_short_and_long() {
        assert_eq!(with_path("dense", "kernel", |p| p.to_string()), "dense/kernel");
        let long = "x".repeat(300);
        assert_eq!(with_path(&long, "bias", |p| p.len()), 305);
    }
}
