//! [`Adapt`]: a layer that learns its state from data before training (Keras's `adapt`), and
//! [`AdaptPhase`], the steps a model takes it through.

use crate::error::Result;
use crate::layers::Input;

/// A layer whose state comes from the data, not from training (a [`Normalization`]'s mean and
/// variance): Keras's `layer.adapt(data)`. The state is kept as non-trainable weights, so it is
/// saved and loaded with the others and no optimizer moves it.
///
/// A model adapts its layers in order, each on what reaches it from the layers before it:
/// [`Adapt::begin`], then [`Adapt::update`] once per batch, then [`Adapt::finish`].
///
/// [`Normalization`]: crate::layers::Normalization
pub trait Adapt {
    /// Forgets what an earlier adapt saw.
    fn begin(&mut self);

    /// Takes in one batch of the layer's input (`batch` samples; padded positions, where the
    /// input's mask is 0, are not data).
    fn update(&mut self, input: Input<'_>, batch: usize) -> Result<()>;

    /// Sets the state from everything seen; `Err` when nothing was seen.
    fn finish(&mut self) -> Result<()>;
}

/// Which step of [`Adapt`] a model runs on a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdaptPhase {
    /// [`Adapt::begin`].
    Begin,
    /// [`Adapt::update`] on a batch, after the nodes before it ran on that batch.
    Update,
    /// [`Adapt::finish`].
    Finish,
}
