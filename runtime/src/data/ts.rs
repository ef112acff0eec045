//! The sktime `.ts` format for multivariate, variable-length series (gzipped or not), as the
//! JapaneseVowels data ships.
//!
//! Header lines start with `#` or `@`; after `@data`, one line per series: each channel a
//! comma-separated list of values, channels separated by `:`, then `:` and the class label.

use crate::error::{Error, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Variable-length series of `C` channels with their class labels (as written in the file).
#[derive(Clone, Debug, PartialEq)]
pub struct Series<const C: usize> {
    /// One sequence per series: `steps × C`, a step being the `C` channels at one time.
    pub sequences: Vec<Vec<[f32; C]>>,
    /// The class label of each series, as the file writes it (`"1"` to `"9"` for JapaneseVowels).
    pub labels: Vec<String>,
}

/// Reads a `.ts` file of `C` channels; `.gz` files are decompressed.
///
/// `Err` naming the line and what is wrong for a series whose channel count is not `C`, whose
/// channels differ in length, or that holds a value that is not a number; `Err` for `C = 0`.
pub fn read_ts<const C: usize>(path: impl AsRef<Path>) -> Result<Series<C>> {
    let path = path.as_ref();
    if C == 0 {
        return Err(Error::InvalidArgument {
            name: "C",
            detail: format!(
                "read_ts::<0> reads no channel of {}; give the number of channels, like read_ts::<12>",
                path.display()
            ),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut series = Series { sequences: Vec::new(), labels: Vec::new() };
    let mut in_data = false;
    for (number, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('@') {
            in_data |= line.eq_ignore_ascii_case("@data");
            continue;
        }
        if !in_data {
            return Err(Error::format(path, format!("line {}: data before the `@data` line", number + 1)));
        }
        let fields: Vec<&str> = line.split(':').collect();
        let Some((label, channels)) = fields.split_last() else { continue };
        if channels.len() != C {
            return Err(Error::format(
                path,
                format!("line {}: expected {C} channels, found {}", number + 1, channels.len()),
            ));
        }
        let mut columns: Vec<Vec<f32>> = Vec::with_capacity(C);
        for channel in channels {
            let values = channel
                .split(',')
                .map(|v| {
                    v.trim().parse::<f32>().map_err(|_| {
                        Error::format(path, format!("line {}: `{v}` is not a number", number + 1))
                    })
                })
                .collect::<Result<Vec<f32>>>()?;
            columns.push(values);
        }
        let steps = columns[0].len();
        if let Some(other) = columns.iter().find(|c| c.len() != steps) {
            return Err(Error::format(
                path,
                format!("line {}: channels differ in length ({steps} and {})", number + 1, other.len()),
            ));
        }
        series.sequences.push((0..steps).map(|t| std::array::from_fn(|c| columns[c][t])).collect());
        series.labels.push(label.trim().to_string());
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_japanese_vowels() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
        let train = read_ts::<12>(dir.join("JapaneseVowels_TRAIN.ts.gz")).unwrap();
        let test = read_ts::<12>(dir.join("JapaneseVowels_TEST.ts.gz")).unwrap();
        assert_eq!((train.sequences.len(), test.sequences.len()), (270, 370));
        let lengths = train.sequences.iter().chain(&test.sequences).map(Vec::len);
        assert_eq!((lengths.clone().min(), lengths.max()), (Some(7), Some(29)));
        assert_eq!(train.labels[0], "1");
        assert!((train.sequences[0][0][0] - 1.860936).abs() < 1e-6);
        assert!(read_ts::<11>(dir.join("JapaneseVowels_TRAIN.ts.gz"))
            .unwrap_err()
            .to_string()
            .contains("expected 11 channels"));
        let err = read_ts::<0>(dir.join("JapaneseVowels_TRAIN.ts.gz")).unwrap_err().to_string();
        assert!(err.contains("read_ts::<0> reads no channel"), "{err}");
    }
}
