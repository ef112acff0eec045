//! [`adapt`]: Keras's `layer.adapt(data)` for every layer of a model that learns state from
//! data (`Normalization`), each on what reaches it through the layers before it.

use crate::error::{Error, Result};
use crate::layers::AdaptPhase;
use crate::model::predict::check_samples;
use crate::model::{check_input_sizes, InputBatch, Network, DEFAULT_BATCH_SIZE};
use crate::tensor::InputRow;

/// Adapts every layer of `net` that learns from data, in order: each is reset, shown every
/// sample of `x` (in batches of 32, padded and masked like `predict`'s: padding is not data) as
/// it arrives through the layers before it, and sets its state from all of it. Layers after an
/// adapted one therefore see its adapted output. Non-finite values in `x` are an `Err` naming
/// the first, before anything changes; a model with nothing to adapt is left as it is.
///
/// ```
/// use shaped::prelude::*;
///
/// shaped::model! {
///     struct Scaled {
///         input: [2],
///         Normalization,
///         Dense(1),
///     }
/// }
///
/// let x = vec![[1.0f32, 10.0], [3.0, 30.0], [5.0, 50.0]];
/// let mut model = Scaled::new(0);
/// model.adapt(&x)?;
/// // The first feature: mean 3, population variance 8/3.
/// # let mut mean = Vec::new();
/// # model.visit_weights(&mut |p| if p.name.ends_with("mean") { mean.extend_from_slice(p.data) });
/// # assert!((mean[0] - 3.0).abs() < 1e-6 && (mean[1] - 30.0).abs() < 1e-5);
/// # Ok::<(), shaped::Error>(())
/// ```
pub fn adapt<N: Network, X: InputRow>(net: &mut N, x: &[X]) -> Result<()> {
    check_samples::<N, X>(x)?;
    for (i, sample) in x.iter().enumerate() {
        for k in 0..X::COUNT {
            if let Some((at, value)) = sample.field(k).first_non_finite() {
                return Err(Error::InvalidArgument {
                    name: "x",
                    detail: format!("x[{i}] holds {value} at value {at}; replace or drop non-finite values before `adapt`"),
                });
            }
        }
    }
    check_input_sizes(&*net, x, "x")?;
    let layers = net.layers();
    let mut batch = InputBatch::default();
    let mut idx = Vec::new();
    for (node, layer) in layers.iter().enumerate() {
        // A layer's own complaint (too many categories, no value) names the layer.
        let named = |e: Error| match e {
            Error::InvalidArgument { name, detail } => Error::InvalidArgument {
                name,
                detail: format!("layer `{}` ({}): {detail}", layer.name, layer.kind),
            },
            other => other,
        };
        if !net.adapt_node(node, &[], 0, AdaptPhase::Begin).map_err(named)? {
            continue;
        }
        for start in (0..x.len()).step_by(DEFAULT_BATCH_SIZE) {
            idx.clear();
            idx.extend(start..(start + DEFAULT_BATCH_SIZE).min(x.len()));
            batch.fill::<N, X>(x, &idx);
            let inputs = batch.inputs();
            net.adapt_node(node, &inputs[..batch.count()], idx.len(), AdaptPhase::Update).map_err(named)?;
        }
        net.adapt_node(node, &[], 0, AdaptPhase::Finish).map_err(named)?;
    }
    Ok(())
}
