//! [`check_run_inputs`]: what a caller hands to a model's `run_inputs` (through
//! `Model::run_masked` or the training loop), checked before any layer slices its buffers by
//! it: the number of inputs, each one's dims against its declaration, its kind (values or
//! token ids), its length and its mask's.

use crate::error::{Error, Result};
use crate::layers::Input;
use crate::model::{InputDType, InputSpec};
use crate::shape::Dims;

/// `Ok` when `inputs` are one per declared input of model `model` (`specs`), each with dims
/// that fit its declaration, holding values or token ids as declared, `batch` samples of them
/// and a mask of one value per sample and step; else an `Err` naming the input and both
/// values.
///
/// `model!` calls it at the top of every generated `run_inputs`.
pub fn check_run_inputs(model: &str, specs: &[InputSpec], inputs: &[Input<'_>], batch: usize) -> Result<()> {
    if inputs.len() != specs.len() {
        return Err(Error::LengthMismatch {
            context: format!("the inputs given to model `{model}` and the inputs it declares"),
            left: inputs.len(),
            right: specs.len(),
        });
    }
    for (spec, input) in specs.iter().zip(inputs) {
        let context = || {
            if specs.len() == 1 {
                format!("input of model `{model}`")
            } else {
                format!("input `{}` of model `{model}`", spec.name)
            }
        };
        if !input.dims.fits(spec.dims) {
            return Err(Error::shape(
                context(),
                Dims::keras_pattern(spec.dims),
                input.dims.with_batch_none(),
            ));
        }
        let given = input.dtype();
        if given != spec.dtype {
            let holds = |dtype: InputDType| match dtype {
                InputDType::F32 => "float values",
                InputDType::U32 => "token ids (`u32`)",
                InputDType::Text => "strings",
            };
            return Err(Error::InvalidArgument {
                name: "input",
                detail: format!("{} takes {}, but was given {}", context(), holds(spec.dtype), holds(given)),
            });
        }
        check_run_input(model, input.len(), input.dims, batch, input.mask)?;
    }
    Ok(())
}

/// `Ok` when `len` elements are exactly `batch` samples of `dims` and `mask` (when given) one
/// value per sample and step (`batch · dims[0]`); else an `Err` naming the model and both
/// sizes. Sizes whose product overflows are an `Err` too, never a wrapped length.
fn check_run_input(model: &str, len: usize, dims: Dims, batch: usize, mask: Option<&[f32]>) -> Result<()> {
    let overflow = || {
        Error::InvalidArgument {
        name: "batch",
        detail: format!(
            "{batch} samples of {dims} given to model `{model}` hold more values than this machine can address"
        ),
    }
    };
    let needed = dims.batch_numel(batch).ok_or_else(overflow)?;
    if len != needed {
        return Err(Error::LengthMismatch {
            context: format!("the input data of model `{model}` and {batch} samples of {dims}"),
            left: len,
            right: needed,
        });
    }
    if let Some(mask) = mask {
        let positions = dims.mask_positions();
        let needed = batch.checked_mul(positions).ok_or_else(overflow)?;
        if mask.len() != needed {
            return Err(Error::LengthMismatch {
                context: format!(
                    "the input mask of model `{model}` and {batch} samples of {positions} positions"
                ),
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
        assert!(check_run_input("net", 24, dims, 2, Some(&[1.0; 6])).is_ok());
        let err = check_run_input("net", 23, dims, 2, None).unwrap_err().to_string();
        assert_eq!(err, "the input data of model `net` and 2 samples of [3, 4] must have the same length, but have 23 and 24");
        assert!(check_run_input("net", 24, dims, 2, Some(&[1.0; 5])).is_err());
        let err = check_run_input("net", 0, dims, usize::MAX, None).unwrap_err().to_string();
        assert!(err.contains("more values than this machine can address"), "{err}");
    }

    #[test]
    fn every_input_is_checked_against_its_declaration() {
        let specs = [
            InputSpec { name: "user", dims: &[Some(1)], dtype: InputDType::U32, ids_below: Some(10) },
            InputSpec { name: "features", dims: &[Some(3)], dtype: InputDType::F32, ids_below: None },
        ];
        let dims = |d: &[usize]| Dims::new(d).unwrap();
        let ids = [1u32, 2];
        let ok = [Input::ids(&ids, dims(&[1])), Input::new(&[0.0; 6], dims(&[3]))];
        assert!(check_run_inputs("rec", &specs, &ok, 2).is_ok());
        let err = check_run_inputs("rec", &specs, &ok[..1], 2).unwrap_err().to_string();
        assert!(err.contains("have 1 and 2"), "{err}");
        let wrong_dims = [Input::ids(&ids, dims(&[1])), Input::new(&[0.0; 8], dims(&[4]))];
        let err = check_run_inputs("rec", &specs, &wrong_dims, 2).unwrap_err().to_string();
        assert_eq!(err, "input `features` of model `rec` must have shape (None, 3), but has shape (None, 4)");
        let floats = [Input::new(&[1.0, 2.0], dims(&[1])), Input::new(&[0.0; 6], dims(&[3]))];
        let err = check_run_inputs("rec", &specs, &floats, 2).unwrap_err().to_string();
        assert!(err.contains("input `user` of model `rec` takes token ids"), "{err}");
    }
}
