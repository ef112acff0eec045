//! One-hot encoding of class labels, like Keras's `keras.utils.to_categorical`.

use crate::error::{Error, Result};

/// One-hot encodes `labels` into rows of `C` classes: label `k` becomes a row that is `1.0` at
/// index `k` and `0.0` elsewhere.
///
/// Unlike Keras, the number of classes is a type parameter, so the rows have a static length
/// that matches a model's output shape. A label that is not below `C` is an error naming it.
///
/// ```
/// use shaped_runtime::data::to_categorical;
/// let rows = to_categorical::<3>(&[2, 0]).unwrap();
/// assert_eq!(rows, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
/// assert!(to_categorical::<3>(&[3]).is_err());
/// ```
pub fn to_categorical<const C: usize>(labels: &[u32]) -> Result<Vec<[f32; C]>> {
    labels
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            let class =
                usize::try_from(label).ok().filter(|&k| k < C).ok_or_else(|| Error::InvalidArgument {
                    name: "labels",
                    detail: format!(
                        "label {label} at index {index} is not below the number of classes C = {C}"
                    ),
                })?;
            let mut row = [0.0; C];
            row[class] = 1.0;
            Ok(row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hot_encodes_each_label() {
        let rows = to_categorical::<4>(&[0, 3, 1, 3]).unwrap();
        assert_eq!(
            rows,
            [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
        );
        assert!(to_categorical::<10>(&[]).unwrap().is_empty());
    }

    #[test]
    fn an_out_of_range_label_names_it_and_the_class_count() {
        let err = to_categorical::<10>(&[1, 2, 10]).unwrap_err().to_string();
        assert!(err.contains("label 10 at index 2") && err.contains("C = 10"), "{err}");
        assert!(to_categorical::<0>(&[0]).is_err());
    }
}
