//! [`check_run_input`]: the sizes a caller hands to `Model::run_masked`, checked before any
//! layer slices its buffers by them.

use crate::error::{Error, Result};
use crate::shape::Dims;

/// `Ok` when `x` holds exactly `batch` samples of `dims` and `mask` (when given) one value per
/// sample and step (`batch · dims[0]`); else an `Err` naming the model and both sizes. Sizes
/// whose product overflows are an `Err` too, never a wrapped length.
///
/// `model!` calls it at the top of every generated `run_masked`.
pub fn check_run_input(model: &str, x: &[f32], dims: Dims, batch: usize, mask: Option<&[f32]>) -> Result<()> {
    let overflow = || {
        Error::InvalidArgument {
        name: "batch",
        detail: format!(
            "{batch} samples of {dims} given to model `{model}` hold more values than this machine can address"
        ),
    }
    };
    let needed = dims.batch_numel(batch).ok_or_else(overflow)?;
    if x.len() != needed {
        return Err(Error::LengthMismatch {
            context: format!("the input data of model `{model}` and {batch} samples of {dims}"),
            left: x.len(),
            right: needed,
        });
    }
    if let Some(mask) = mask {
        let steps = dims.as_slice().first().copied().unwrap_or(1);
        let needed = batch.checked_mul(steps).ok_or_else(overflow)?;
        if mask.len() != needed {
            return Err(Error::LengthMismatch {
                context: format!("the input mask of model `{model}` and {batch} samples of {steps} steps"),
                left: mask.len(),
                right: needed,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_without_overflow() {
        let dims = Dims::new(&[3, 4]).unwrap();
        assert!(check_run_input("net", &[0.0; 24], dims, 2, Some(&[1.0; 6])).is_ok());
        let err = check_run_input("net", &[0.0; 23], dims, 2, None).unwrap_err().to_string();
        assert_eq!(err, "the input data of model `net` and 2 samples of [3, 4] must have the same length, but have 23 and 24");
        assert!(check_run_input("net", &[0.0; 24], dims, 2, Some(&[1.0; 5])).is_err());
        let err = check_run_input("net", &[], dims, usize::MAX, None).unwrap_err().to_string();
        assert!(err.contains("more values than this machine can address"), "{err}");
    }
}
