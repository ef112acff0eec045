//! [`Network`]: what every `model!`-generated model is, whatever its inputs and outputs — a
//! graph of layers run over a [`crate::model::Workspace`].
//!
//! The trait is the core: running the graph on its inputs, the outputs and their gradient
//! buffers, the backward pass, the weights and the summary. It knows nothing of training or
//! files: `compile` ([`crate::train::Compile`]) and weight files ([`crate::io::WeightFiles`])
//! are extension traits over it, and [`crate::model::Model`] adds the typed single-input,
//! single-output entry points.

use crate::error::Result;
use crate::layers::{Activation, AdaptPhase, Input, Mode, Param, ParamMut, Stage};
use crate::model::NodeSpec;
use crate::shape::Dims;
use crate::tensor::InputDType;

pub use crate::rules::{MAX_INPUTS, MAX_OUTPUTS};

/// One input of a network, as `model!` declares it: `user: u32[1]`, `input: [None, 12]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputSpec {
    /// The input's name (`input` for a model with one unnamed input).
    pub name: &'static str,
    /// Per-sample dims, `None` for a runtime axis.
    pub dims: &'static [Option<usize>],
    /// What the input holds: values, token ids or strings.
    pub dtype: InputDType,
    /// For token ids: the bound every id must be below (the reading `Embedding`'s
    /// `input_dim`), checked by `fit`, `evaluate` and `predict` before the first batch.
    pub ids_below: Option<usize>,
}

/// One output of a network: its name and per-sample dims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputSpec {
    /// The output's name: the name of the layer that makes it.
    pub name: &'static str,
    /// Per-sample dims, `None` for a runtime axis.
    pub dims: &'static [Option<usize>],
    /// For a sequence output (a runtime time axis first): the input whose steps it has, so a
    /// prediction keeps each sample's own steps of that input.
    pub steps_from: Option<usize>,
}

/// One row of a model's summary: a layer's name, type, output shape, weight count, and the
/// layers and inputs it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// The layer's name: given with `name:` in `model!`, or Keras's automatic `dense`, `dense_1`, ...
    pub name: String,
    /// The layer's type, `Dense`.
    pub kind: String,
    /// The per-sample output shape, `None` for runtime axes.
    pub output: Vec<Option<usize>>,
    /// The number of weights.
    pub params: usize,
    /// How many of them training does not update (running statistics).
    pub non_trainable: usize,
    /// The names of the inputs and layers it reads, in order (Keras's "Connected to").
    pub inputs: Vec<String>,
}

/// A model declared with `model!`: layers wired from named inputs to named outputs.
///
/// The macro implements every required method as straight-line code over the model's
/// [`crate::model::Workspace`]; a sequential model is the chain with one input and one output.
/// Output `j` is the `j`-th output the model declares; input `k` the `k`-th input.
pub trait Network {
    /// The model's name as Keras would print it (`digits` for `struct Digits`).
    const NAME: &'static str;
    /// The inputs, in declaration order.
    const INPUTS: &'static [InputSpec];
    /// The outputs, in declaration order.
    const OUTPUTS: &'static [OutputSpec];
    /// Every node's name, class, inputs and arguments (Keras's defaults filled in), in order:
    /// the architecture a whole-model file stores and compares on load
    /// ([`crate::model::config_json`]). The macro writes it; the default, for a network written
    /// by hand, is empty.
    const NODES: &'static [NodeSpec] = &[];

    /// Runs every layer on `batch` samples of `inputs` (one per declared input, each with its
    /// per-sample dims, which must fit the declaration, and the mask of its padded steps).
    /// The outputs are then read with [`Network::output_at`].
    fn run_inputs(&mut self, inputs: &[Input<'_>], batch: usize, mode: Mode) -> Result<()>;

    /// Runs every layer's shape rule, and nothing else, on one sample of per-sample dims
    /// `inputs` (one per declared input): `Err` naming the first layer that cannot take them,
    /// like a 5×5 image reaching a 3×3 window after two poolings. The data checks call it once
    /// for each distinct size of images or sequences, so that a sample too small for the model
    /// is an `Err` before the first step, never a silently empty result.
    fn check_dims(&self, inputs: &[Dims]) -> Result<()>;

    /// Takes node `node`'s layer through one step of adapting it to data ([`AdaptPhase`]):
    /// for `Update`, the nodes before it run on `batch` samples of `inputs` (inference mode) and
    /// the layer takes in what reaches it. Returns whether that layer adapts at all. What
    /// [`adapt`](crate::model::adapt) calls for every node in order.
    fn adapt_node(
        &mut self,
        node: usize,
        inputs: &[Input<'_>],
        batch: usize,
        phase: AdaptPhase,
    ) -> Result<bool>;

    /// Output `j` of the last run and its per-sample dims.
    fn output_at(&self, j: usize) -> (&[f32], Dims);

    /// The mask of output `j` of the last run, when that output is a sequence that carries
    /// one (`batch · steps` values).
    fn output_mask_at(&self, j: usize) -> Option<&[f32]>;

    /// Output `j` of the last run and the buffer for the loss's gradient with respect to it.
    fn output_and_grad_at(&mut self, j: usize) -> (&[f32], &mut [f32]);

    /// The activation the layer making output `j` ends with (a loss may fuse with it).
    fn output_activation_at(&self, j: usize) -> Option<Activation>;

    /// Backward through every layer after a [`Network::run_inputs`] in [`Mode::Training`] on
    /// the same `inputs`, with the gradient of the loss with respect to each output already
    /// written into its [`Network::output_and_grad_at`] buffer (or with respect to the making
    /// layer's pre-activation where `preactivation[j]`). Writes every weight's gradient, and
    /// the gradient with respect to input `k` into `grad_inputs[k]` when it is `Some`. Where
    /// one output feeds several layers, their gradients add up.
    fn backward_inputs(
        &mut self,
        inputs: &[Input<'_>],
        batch: usize,
        preactivation: &[bool],
        grad_inputs: &mut [Option<&mut [f32]>],
    ) -> Result<()>;

    /// [`Network::backward_inputs`] without input gradients, handing each layer's weights to
    /// `visit` right after that layer's backward pass (full paths, `dense_1/kernel`): how the
    /// training loop lets the optimiser update a layer while its gradients are in cache.
    fn backward_visiting_inputs(
        &mut self,
        inputs: &[Input<'_>],
        batch: usize,
        preactivation: &[bool],
        visit: &mut dyn FnMut(ParamMut<'_>),
    ) -> Result<()>;

    /// Name, type, output shape, weight count and sources of each layer.
    fn layers(&self) -> Vec<LayerInfo>;

    /// Calls `visit` for every weight with its full Keras-style path (`dense_1/kernel`).
    fn visit_weights(&self, visit: &mut dyn FnMut(Param<'_>));

    /// Calls `visit` for every weight, writable, in the same order as `visit_weights`.
    fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>));

    /// Calls `visit` with each layer (once per layer, a shared one at its first node) and its
    /// node name: how whole-model files read custom layers' configurations and the state of
    /// layers like `Dropout`. The default, for a network written by hand, visits nothing.
    fn visit_stages(&self, visit: &mut dyn FnMut(&str, &dyn Stage)) {
        let _ = visit;
    }

    /// [`Network::visit_stages`], writable: how whole-model files restore that state.
    fn visit_stages_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn Stage)) {
        let _ = visit;
    }

    /// The number of weights.
    fn param_count(&self) -> usize {
        let mut n = 0;
        self.visit_weights(&mut |p| n += p.data.len());
        n
    }

    /// Keras's `summary()` table as a string: a sequential model's three columns, or, for a
    /// graph, the functional table with its "Connected to" column.
    fn summary_string(&self) -> String {
        crate::model::summary_table(Self::NAME, Self::INPUTS, &self.layers())
    }

    /// Prints Keras's `summary()` table.
    fn summary(&self) {
        print!("{}", self.summary_string());
    }
}
