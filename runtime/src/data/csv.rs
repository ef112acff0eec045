//! Reading numeric CSV files, optionally gzip-compressed.
//!
//! The format is the simple one NumPy's `savetxt(..., delimiter=",")` and most exporters write:
//! one row per line, fields separated by commas, every field a number (anything Rust's `f32`
//! parser accepts, including `nan` and `inf`), no quoting and no header line. Blank lines are
//! skipped; `\r\n` line ends are accepted.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// Reads a numeric CSV file into rows of `f32`.
///
/// A path ending in `.gz` is gunzipped on the fly (several concatenated gzip members, as `zcat`
/// accepts, are read as one stream). Errors name the file and, for bad contents, the line:
/// an unparsable field gives its line, column and text; a row whose length differs from the
/// first row's gives both lengths.
pub fn read_csv_f32(path: impl AsRef<Path>) -> Result<Vec<Vec<f32>>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let source = path.display().to_string();
    if path.extension().is_some_and(|ext| ext == "gz") {
        parse_csv_f32(BufReader::new(MultiGzDecoder::new(file)), &source)
    } else {
        parse_csv_f32(BufReader::new(file), &source)
    }
}

/// Parses numeric CSV text from `reader`, as [`read_csv_f32`] does; `source` names it in errors.
pub fn parse_csv_f32(reader: impl BufRead, source: &str) -> Result<Vec<Vec<f32>>> {
    let mut rows: Vec<Vec<f32>> = Vec::new();
    // The line number of the first row, to compare lengths against.
    let mut first_line = 0;
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Error::io(source, e))?;
        let line_no = index + 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let row = text
            .split(',')
            .enumerate()
            .map(|(column, field)| {
                let field = field.trim();
                field.parse::<f32>().map_err(|_| {
                    Error::format(
                        source,
                        format!("line {line_no}, column {}: {field:?} is not a number", column + 1),
                    )
                })
            })
            .collect::<Result<Vec<f32>>>()?;
        if let Some(first) = rows.first() {
            if row.len() != first.len() {
                return Err(Error::format(
                    source,
                    format!(
                        "line {line_no} has {} fields, but line {first_line} (the first row) has {}",
                        row.len(),
                        first.len()
                    ),
                ));
            }
        } else {
            first_line = line_no;
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;

    fn parse(text: &str) -> Result<Vec<Vec<f32>>> {
        parse_csv_f32(text.as_bytes(), "t.csv")
    }

    #[test]
    fn parses_rows_and_skips_blank_lines() {
        let rows = parse("1,2.5,-3\r\n\n  \n 4 , 5e-1,nan\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], [1.0, 2.5, -3.0]);
        assert_eq!(&rows[1][..2], [4.0, 0.5]);
        assert!(rows[1][2].is_nan());
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn a_bad_field_names_line_column_and_text() {
        let err = parse("1,2\n\n3,x4\n").unwrap_err().to_string();
        assert!(err.contains("t.csv") && err.contains("line 3, column 2") && err.contains("\"x4\""), "{err}");
        let err = parse("1,,2\n").unwrap_err().to_string();
        assert!(err.contains("line 1, column 2: \"\""), "{err}");
    }

    #[test]
    fn ragged_rows_name_the_line_and_both_lengths() {
        let err = parse("\n1,2,3\n4,5,6\n7,8\n").unwrap_err().to_string();
        assert!(err.contains("line 4 has 2 fields, but line 2 (the first row) has 3"), "{err}");
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        assert!(parse_csv_f32(&b"1,2\n\xff\n"[..], "t").is_err());
    }

    #[test]
    fn reads_plain_and_gzipped_files() {
        let dir = std::env::temp_dir();
        let plain = dir.join(format!("shaped-csv-test-{}.csv", std::process::id()));
        let gz = dir.join(format!("shaped-csv-test-{}.csv.gz", std::process::id()));
        std::fs::write(&plain, "1,2\n3,4\n").unwrap();
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(b"5,6\n7,8\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();

        let a = read_csv_f32(&plain);
        let b = read_csv_f32(&gz);
        std::fs::remove_file(&plain).unwrap();
        std::fs::write(&gz, b"not gzip").unwrap();
        let c = read_csv_f32(&gz);
        std::fs::remove_file(&gz).unwrap();

        assert_eq!(a.unwrap(), [[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(b.unwrap(), [[5.0, 6.0], [7.0, 8.0]]);
        assert!(c.is_err());
        assert!(matches!(read_csv_f32(&plain), Err(Error::Io { .. })));
    }
}
