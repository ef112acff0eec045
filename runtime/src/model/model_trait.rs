//! The [`Model`] trait that `model!` implements for every generated struct.

use crate::error::{Error, Result};
use crate::layers::{Mode, Param, ParamMut};
use crate::shape::{Dims, Shape};
use crate::tensor::Tensor;

/// One row of a model's summary: a layer's name, type, output shape and weight count.
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
}

/// A model declared with `model!`: a sequence of layers from `In` to `Out`.
///
/// The macro implements the required methods; the provided ones are the runtime-checked entry
/// points (flat data plus a shape, typed tensors), the summary and weight loading.
pub trait Model {
    /// The per-sample input shape (the `input:` line).
    type In: Shape;
    /// The per-sample output shape (the last layer's).
    type Out: Shape;
    /// The model's name as Keras would print it (`digits` for `struct Digits`).
    const NAME: &'static str;
    /// For a model that takes token ids (`input: u32[None]`): its `Embedding`'s `input_dim`,
    /// which every id must be below; `None` for float input. `fit`, `evaluate` and `predict`
    /// check every id against it before the first batch.
    const INPUT_IDS_BELOW: Option<usize> = None;

    /// Runs every layer on `batch` samples of per-sample `dims` (which must fit `In`), the
    /// input's padded steps marked by `mask` (`batch · dims[0]` values, 1.0 for a real step),
    /// and returns the output buffer with its per-sample dims.
    fn run_masked(
        &mut self,
        x: &[f32],
        dims: Dims,
        batch: usize,
        mask: Option<&[f32]>,
        mode: Mode,
    ) -> Result<(&[f32], Dims)>;

    /// [`Model::run_masked`] without a mask: every step is real.
    fn run(&mut self, x: &[f32], dims: Dims, batch: usize, mode: Mode) -> Result<(&[f32], Dims)> {
        self.run_masked(x, dims, batch, None, mode)
    }

    /// The mask of the last run's output, when the output is a sequence that carries one
    /// (`batch · steps` values).
    fn output_mask(&self) -> Option<&[f32]>;

    /// Backward through every layer after a [`Model::run`] in [`Mode::Training`] on the same
    /// `x`, with the gradient of the loss with respect to the output already written into
    /// [`Model::output_and_grad`]'s buffer (or with respect to the last layer's pre-activation
    /// when `dy_is_preactivation`). Writes every weight's gradient, and the gradient with
    /// respect to `x` into `dx` when given.
    fn backward(
        &mut self,
        x: &[f32],
        batch: usize,
        dy_is_preactivation: bool,
        dx: Option<&mut [f32]>,
    ) -> Result<()>;

    /// [`Model::backward`] without an input gradient, handing each layer's weights to `visit`
    /// right after that layer's backward pass (last layer first; full paths, `dense_1/kernel`):
    /// how the training loop lets the optimiser update a layer while its gradients are in
    /// cache.
    fn backward_visiting(
        &mut self,
        x: &[f32],
        batch: usize,
        dy_is_preactivation: bool,
        visit: &mut dyn FnMut(ParamMut<'_>),
    ) -> Result<()>;

    /// The last run's output and the buffer for the gradient with respect to it.
    fn output_and_grad(&mut self) -> (&[f32], &mut [f32]);

    /// The activation the model's last layer ends with (a loss may fuse with it).
    fn output_activation(&self) -> Option<crate::layers::Activation>;

    /// Name, type, output shape and weight count of each layer.
    fn layers(&self) -> Vec<LayerInfo>;

    /// Calls `visit` for every weight with its full Keras-style path (`dense_1/kernel`).
    fn visit_weights(&self, visit: &mut dyn FnMut(Param<'_>));

    /// Calls `visit` for every weight, writable, in the same order as `visit_weights`.
    fn visit_weights_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>));

    /// The model's output for a batch given as flat row-major data plus its full shape, batch
    /// axis first (`[32, 64]`).
    ///
    /// Returns `Err` naming both shapes when `shape` does not fit the model's input
    /// (`input of model `digits` must have shape (None, 64), but has shape (32, 63)`) or when
    /// `x.len()` is not the product of `shape` (computed without overflow).
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Net {
    ///         input: [4],
    ///         Dense(2, activation = softmax),
    ///     }
    /// }
    ///
    /// let mut model = Net::new(0);
    /// // Data read at run time: its shape is checked here, not by the compiler.
    /// let probs = model.predict_flat(&[0.5; 3 * 4], &[3, 4])?;
    /// assert_eq!((probs.batch(), probs.dims().as_slice()), (3, &[2][..]));
    /// let err = model.predict_flat(&[0.5; 3 * 5], &[3, 5]).unwrap_err();
    /// assert_eq!(err.to_string(), "input of model `net` must have shape (None, 4), but has shape (3, 5)");
    /// # Ok::<(), shaped::Error>(())
    /// ```
    fn predict_flat(&mut self, x: &[f32], shape: &[usize]) -> Result<Tensor<Self::Out>> {
        let context = || format!("input of model `{}`", Self::NAME);
        let (&batch, sample) = shape.split_first().ok_or_else(|| {
            Error::shape(context(), Dims::keras_pattern(Self::In::DIMS), "() (no batch axis)")
        })?;
        let dims = Dims::new(sample).filter(|d| d.fits(Self::In::DIMS)).ok_or_else(|| {
            Error::shape(context(), Dims::keras_pattern(Self::In::DIMS), format_shape(shape))
        })?;
        let needed = dims.batch_numel(batch).ok_or_else(|| Error::InvalidArgument {
            name: "shape",
            detail: format!(
                "{} given to model `{}` holds more values than this machine can address",
                format_shape(shape),
                Self::NAME
            ),
        })?;
        if x.len() != needed {
            return Err(Error::LengthMismatch {
                context: format!("data and shape {} given to model `{}`", format_shape(shape), Self::NAME),
                left: x.len(),
                right: needed,
            });
        }
        let (y, out_dims) = self.run(x, dims, batch, Mode::Inference)?;
        Tensor::from_vec(y.to_vec(), batch, out_dims)
    }

    /// The model's output for a typed batch.
    fn predict_tensor(&mut self, x: &Tensor<Self::In>) -> Result<Tensor<Self::Out>> {
        let (y, out_dims) = self.run(x.data(), x.dims(), x.batch(), Mode::Inference)?;
        Tensor::from_vec(y.to_vec(), x.batch(), out_dims)
    }

    /// The number of weights.
    fn param_count(&self) -> usize {
        let mut n = 0;
        self.visit_weights(&mut |p| n += p.data.len());
        n
    }

    /// Keras's `summary()` table as a string.
    fn summary_string(&self) -> String {
        crate::model::summary_table(Self::NAME, &self.layers())
    }

    /// Prints Keras's `summary()` table.
    fn summary(&self) {
        print!("{}", self.summary_string());
    }

    /// Keras's `compile`: pairs the model with an optimiser, a loss and metrics for training.
    ///
    /// Returns the compiled model, whose type carries the loss so that the labels handed to
    /// `fit` are checked against it at compile time; it dereferences to the model, so
    /// `predict` and `summary` stay available. `Err` for an optimiser configuration Keras
    /// rejects too (more than one clipping option, momentum outside [0, 1], ...) and for a
    /// NaN, infinite or out-of-range setting (a learning rate of NaN, `beta_1 = 1`, ...).
    ///
    /// `compile` takes the model and returns the one that trains: keep what it returns.
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Digits {
    ///         input: [64],
    ///         Dense(10, activation = softmax),
    ///     }
    /// }
    ///
    /// let mut model = Digits::new(42).compile(Adam::default(), CategoricalCrossentropy::default(), [Accuracy])?;
    /// let x = vec![[0.5f32; 64]; 4];
    /// let y: Vec<[f32; 10]> = shaped::data::to_categorical(&[1, 2, 3, 4])?;
    /// let loss = model.train_on_batch(&x, &y)?;
    /// assert!(loss > 0.0);
    ///
    /// // An optimiser setting that would make every weight NaN is refused here.
    /// let bad = Adam { beta_1: 1.0, ..Default::default() };
    /// assert!(Digits::new(0).compile(bad, CategoricalCrossentropy::default(), []).is_err());
    /// # Ok::<(), shaped::Error>(())
    /// ```
    #[must_use = "`compile` takes the model and returns it ready to train; keep what it returns: `let mut model = Net::new(seed).compile(optimizer, loss, metrics)?;`"]
    fn compile<L: crate::train::loss::Loss>(
        self,
        optimizer: impl crate::train::optim::IntoOptimizer,
        loss: L,
        metrics: impl IntoIterator<Item = crate::train::metrics::Metric>,
    ) -> Result<crate::train::Compiled<Self, L>>
    where
        Self: Sized + crate::model::SampleTypes,
    {
        Ok(crate::train::Compiled::new(
            self,
            optimizer.into_optimizer()?,
            loss,
            metrics.into_iter().collect(),
        ))
    }

    /// Saves every weight to a safetensors file, named by Keras-style paths (`dense/kernel`).
    /// The file is written beside the target and renamed over it, so a failed save leaves the
    /// previous file as it was; the file's permissions (and a symbolic link) are kept, and the
    /// same weights always give the same bytes.
    ///
    /// ```
    /// use shaped::prelude::*;
    ///
    /// shaped::model! {
    ///     struct Net {
    ///         input: [4],
    ///         hidden: Dense(8, activation = relu),
    ///         Dense(2),
    ///     }
    /// }
    ///
    /// let dir = std::env::temp_dir().join(format!("shaped-doc-weights-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).map_err(|e| shaped::Error::io(&dir, e))?;
    /// let path = dir.join("net.safetensors");
    ///
    /// let trained = Net::new(1);
    /// trained.save_weights(&path)?;
    /// let mut restored = Net::new(2); // other initial weights
    /// restored.load_weights(&path)?; // every name and shape checked first
    /// let x = [[0.1, 0.2, 0.3, 0.4]];
    /// let (a, b): (Vec<[f32; 2]>, Vec<[f32; 2]>) = (Net::new(1).predict(&x)?, restored.predict(&x)?);
    /// assert_eq!(a, b);
    /// # std::fs::remove_dir_all(&dir).map_err(|e| shaped::Error::io(&dir, e))?;
    /// # Ok::<(), shaped::Error>(())
    /// ```
    fn save_weights(&self, path: impl AsRef<std::path::Path>) -> Result<()>
    where
        Self: Sized,
    {
        crate::io::safetensors::save_weights(self, path.as_ref())
    }

    /// Loads weights saved by [`Model::save_weights`]. Every name and shape is checked before
    /// anything is written; `Err` names the first weight that is missing or differs.
    fn load_weights(&mut self, path: impl AsRef<std::path::Path>) -> Result<()>
    where
        Self: Sized,
    {
        crate::io::safetensors::load_weights(self, path.as_ref())
    }

    /// Loads weights saved in Keras layout from a `.npz` holding one array per weight, named by
    /// its Keras path (`dense/kernel`, `dense/bias`, ...). Every weight of the model must be
    /// present with the same shape; `Err` names the first that is missing or differs.
    fn load_keras_npz(&mut self, path: impl AsRef<std::path::Path>) -> Result<()>
    where
        Self: Sized,
    {
        crate::io::keras::load_npz(self, path.as_ref())
    }
}

/// `(32, 63)` for `[32, 63]`.
fn format_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}
