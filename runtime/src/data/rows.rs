//! Rows of numbers read at run time (`read_csv_f32`, or a reader of your own) into the plain
//! arrays a model takes: [`from_rows`] for the features, [`features_and_labels`] for a table
//! whose last column is the class id.
//!
//! A model's `fit` and `predict` take `&[[f32; 64]]` for `input: [64]`, so the width is checked
//! by the compiler; rows read at run time have whatever width the file has, so it is checked
//! here, once, with an `Err` naming the row and both widths.
//!
//! ```
//! use shaped::data::{features_and_labels, from_rows};
//!
//! let rows = vec![vec![0.5, 0.25, 1.0], vec![0.0, 1.0, 0.0]];
//! let x: Vec<[f32; 3]> = from_rows(&rows)?;
//! let (features, labels): (Vec<[f32; 2]>, Vec<u32>) = features_and_labels(&rows)?;
//! assert_eq!((x[1], features[0], labels), ([0.0, 1.0, 0.0], [0.5, 0.25], vec![1, 0]));
//!
//! let err = from_rows::<[f32; 4]>(&rows).unwrap_err();
//! assert_eq!(err.to_string(), "invalid `rows`: row 0 has 3 values, but one sample of [f32; 4] takes 4");
//! # Ok::<(), shaped::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::tensor::Sample;

/// One sample `X` per row (`[f32; 64]`, `[[f32; 8]; 8]` row-major, ...); `Err` naming the
/// first row whose width is not `X`'s, and both widths.
pub fn from_rows<X: Sample>(rows: &[Vec<f32>]) -> Result<Vec<X>> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            if row.len() != X::LEN {
                return Err(width_error::<X>(i, row.len(), 0));
            }
            Ok(X::from_flat(row))
        })
        .collect()
}

/// The features of each row (all but the last value) as a sample `X`, and the last value as
/// a class id; `Err` naming the row when its width is not `X`'s plus one, or when its last
/// value is not a whole number from 0 to `u32::MAX`.
pub fn features_and_labels<X: Sample>(rows: &[Vec<f32>]) -> Result<(Vec<X>, Vec<u32>)> {
    let mut x = Vec::with_capacity(rows.len());
    let mut y = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let Some((&label, features)) = row.split_last().filter(|(_, f)| f.len() == X::LEN) else {
            return Err(width_error::<X>(i, row.len(), 1));
        };
        if !(label.fract() == 0.0 && label >= 0.0 && f64::from(label) <= f64::from(u32::MAX)) {
            return Err(Error::InvalidArgument {
                name: "rows",
                detail: format!(
                    "row {i} ends in {label}, which is not a class id (a whole number, at least 0)"
                ),
            });
        }
        x.push(X::from_flat(features));
        y.push(label as u32);
    }
    Ok((x, y))
}

/// `row {i} has {found} values, but ...` for a sample type `X` and `extra` label columns.
fn width_error<X: Sample>(row: usize, found: usize, extra: usize) -> Error {
    let ty = std::any::type_name::<X>();
    let wanted = match extra {
        0 => format!("one sample of {ty} takes {}", X::LEN),
        _ => format!("one sample of {ty} and a label take {}", X::LEN + extra),
    };
    Error::InvalidArgument { name: "rows", detail: format!("row {row} has {found} values, but {wanted}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_labels_are_checked() {
        let rows = vec![vec![1.0, 2.0, 3.0, 4.0], vec![5.0, 6.0, 7.0]];
        let err = from_rows::<[[f32; 2]; 2]>(&rows).unwrap_err().to_string();
        assert_eq!(err, "invalid `rows`: row 1 has 3 values, but one sample of [[f32; 2]; 2] takes 4");
        let err = features_and_labels::<[f32; 3]>(&rows).unwrap_err().to_string();
        assert_eq!(err, "invalid `rows`: row 1 has 3 values, but one sample of [f32; 3] and a label take 4");
        let err = features_and_labels::<[f32; 1]>(&[vec![0.0, 2.5]]).unwrap_err().to_string();
        assert!(err.contains("row 0 ends in 2.5"), "{err}");
        let err = features_and_labels::<[f32; 1]>(&[vec![0.0, -1.0]]).unwrap_err().to_string();
        assert!(err.contains("row 0 ends in -1"), "{err}");
        let (x, y) = features_and_labels::<[[f32; 1]; 2]>(&[vec![0.5, 0.25, 7.0]]).unwrap();
        assert_eq!((x, y), (vec![[[0.5], [0.25]]], vec![7]));
        assert!(from_rows::<[f32; 2]>(&[]).unwrap().is_empty());
    }
}
