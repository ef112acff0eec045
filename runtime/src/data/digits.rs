//! The UCI / scikit-learn handwritten digits: 8×8 grey-level images of the digits 0 to 9.
//!
//! The file `data/digits.csv.gz` of this repository holds the 1797 samples of
//! `sklearn.datasets.load_digits`, one per line: 64 pixel values from 0 to 16 (row by row),
//! then the label.

use std::path::Path;

use super::csv::read_csv_f32;
use super::rng::SplitMix64;
use crate::error::{Error, Result};

/// Pixels per image (8 × 8).
const PIXELS: usize = 64;
/// The largest raw pixel value.
const MAX_PIXEL: f32 = 16.0;

/// Digit images with their labels; `images[i]` shows the digit `labels[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits {
    /// The images, row-major 8×8, each pixel scaled from 0..=16 to `[0, 1]` (divided by 16).
    pub images: Vec<[f32; 64]>,
    /// The digit each image shows, 0 to 9.
    pub labels: Vec<u32>,
}

/// Loads the digits CSV (optionally gzipped) at `path`, e.g. `data/digits.csv.gz`.
///
/// Each line must hold 64 pixel values in `0..=16` followed by an integer label in `0..=9`.
/// Pixels are divided by 16, so they lie in `[0, 1]`. Any other content is an error naming the
/// row (counting non-blank lines from 1) and the offending value.
pub fn load_digits(path: impl AsRef<Path>) -> Result<Digits> {
    let path = path.as_ref();
    let rows = read_csv_f32(path)?;
    let mut digits =
        Digits { images: Vec::with_capacity(rows.len()), labels: Vec::with_capacity(rows.len()) };
    for (index, row) in rows.iter().enumerate() {
        let row_no = index + 1;
        let (pixels, label) = match row.split_last() {
            Some((&label, pixels)) if pixels.len() == PIXELS => (pixels, label),
            _ => {
                return Err(Error::format(
                    path,
                    format!(
                        "row {row_no} has {} fields; a digit needs {PIXELS} pixels and a label",
                        row.len()
                    ),
                ))
            }
        };
        let mut image = [0.0f32; PIXELS];
        for (column, (dst, &value)) in image.iter_mut().zip(pixels).enumerate() {
            if !(0.0..=MAX_PIXEL).contains(&value) {
                return Err(Error::format(
                    path,
                    format!("row {row_no}, pixel {}: {value} is outside 0..=16", column + 1),
                ));
            }
            *dst = value / MAX_PIXEL;
        }
        if !(label.fract() == 0.0 && (0.0..=9.0).contains(&label)) {
            return Err(Error::format(path, format!("row {row_no}: label {label} is not a digit 0 to 9")));
        }
        digits.images.push(image);
        digits.labels.push(label as u32);
    }
    Ok(digits)
}

impl Digits {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Shuffles the samples with `seed` and splits them into `(train, test)`.
    ///
    /// The test set gets `round(len × test_fraction)` samples; `test_fraction` is clamped to
    /// `[0, 1]` (NaN counts as 0). The same seed always gives the same split, and every sample
    /// lands in exactly one of the two parts.
    pub fn split(&self, test_fraction: f32, seed: u64) -> (Digits, Digits) {
        let fraction = if test_fraction.is_nan() { 0.0 } else { f64::from(test_fraction).clamp(0.0, 1.0) };
        let n = self.len().min(self.images.len());
        let n_test = ((n as f64 * fraction).round() as usize).min(n);
        let mut order: Vec<usize> = (0..n).collect();
        SplitMix64::new(seed).shuffle(&mut order);
        let (test, train) = order.split_at(n_test);
        (self.select(train), self.select(test))
    }

    /// The samples at `indices`, in that order.
    fn select(&self, indices: &[usize]) -> Digits {
        let (images, labels) =
            indices.iter().filter_map(|&i| Some((*self.images.get(i)?, *self.labels.get(i)?))).unzip();
        Digits { images, labels }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits_path() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz")
    }

    #[test]
    fn loads_the_repository_digits() {
        let d = load_digits(digits_path()).unwrap();
        assert_eq!(d.len(), 1797);
        assert_eq!(d.images.len(), 1797);
        assert_eq!(d.labels[0], 0);
        assert_eq!(d.labels[1], 1);
        assert!(d.images.iter().flatten().all(|&p| (0.0..=1.0).contains(&p)));
        assert!(d.images.iter().flatten().any(|&p| p == 1.0), "16 maps to 1.0");
        // Row 0 starts 0,0,5,13,9,1: pixels divided by 16.
        assert_eq!(&d.images[0][..6], [0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0, 9.0 / 16.0, 1.0 / 16.0]);
        let mut counts = [0usize; 10];
        for &l in &d.labels {
            counts[l as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (170..=190).contains(&c)), "{counts:?}");
    }

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let d = load_digits(digits_path()).unwrap();
        let (train, test) = d.split(0.2, 7);
        assert_eq!((train.len(), test.len()), (1438, 359));
        assert_eq!(d.split(0.2, 7), (train.clone(), test.clone()));
        assert_ne!(d.split(0.2, 8).1, test);
        // Every sample is in exactly one part: compare sorted (label, pixel bits) lists.
        let key = |x: &Digits| {
            let mut v: Vec<(u32, Vec<u32>)> = x
                .labels
                .iter()
                .zip(&x.images)
                .map(|(&l, im)| (l, im.iter().map(|p| p.to_bits()).collect()))
                .collect();
            v.sort();
            v
        };
        let mut both = key(&train);
        both.extend(key(&test));
        both.sort();
        assert_eq!(both, key(&d));
        assert_eq!(d.split(0.0, 1).1.len(), 0);
        assert_eq!(d.split(1.0, 1).0.len(), 0);
        assert_eq!(d.split(5.0, 1).1.len(), 1797);
        assert_eq!(d.split(f32::NAN, 1).0.len(), 1797);
    }

    #[test]
    fn bad_rows_are_errors_naming_the_row() {
        let dir = std::env::temp_dir();
        let cases = [
            ("short", "1,2,3\n", "row 1 has 3 fields"),
            ("pixel", &format!("{}17,0\n", "0,".repeat(63)), "row 1, pixel 64: 17 is outside 0..=16"),
            ("label", &format!("{zeros}1\n{zeros}10\n", zeros = "0,".repeat(64)), "row 2: label 10"),
            ("fraction", &format!("{}1.5\n", "0,".repeat(64)), "label 1.5"),
        ];
        for (name, text, needle) in cases {
            let path = dir.join(format!("shaped-digits-{name}-{}.csv", std::process::id()));
            std::fs::write(&path, text).unwrap();
            let result = load_digits(&path);
            std::fs::remove_file(&path).unwrap();
            let err = result.unwrap_err().to_string();
            assert!(err.contains(needle), "{name}: {err}");
        }
    }
}
