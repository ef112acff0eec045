//! [`WeightFiles`]: a model's weights to and from files, for every model (an extension trait
//! in the prelude, so the core [`Network`] trait knows nothing of file formats).

use crate::error::Result;
use crate::model::Network;

/// Saving and loading a model's weights: safetensors files of shaped's own, and Keras weights
/// exported as `.npz`. Implemented for every [`Network`]; `use shaped::prelude::*` brings it
/// into scope.
pub trait WeightFiles: Network {
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

    /// Loads weights saved by [`WeightFiles::save_weights`]. Every name and shape is checked before
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

impl<N: Network> WeightFiles for N {}
