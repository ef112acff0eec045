//! CSV files of mixed columns (strings, numbers, missing values) read into typed rows.
//!
//! A [`Table`] is the file in memory: its header and its records as text, parsed by the `csv`
//! crate (quoted fields with commas or line ends in them, `""` escapes, CRLF line ends, a UTF-8
//! byte order mark, blank lines skipped). [`Table::rows`] then reads every record as a row type
//! whose fields name their columns, a [`TableRow`]: the input struct `model!` generates for a
//! graph implements it, or write one by hand. Each field's type reads its cell as a [`Cell`].
//!
//! Missing values are the ones `pandas.read_csv` treats as missing ([`NA_VALUES`]: `NA`, an
//! empty cell, `NaN`, `null`, ...). `Option<T>` reads them as `None`; a number that is not
//! optional is an error saying so; a `String` keeps them as text, a category of its own, as
//! Keras sees them. Errors name the file, the line (the header is line 1), the column and the
//! value as written:
//!
//! ```
//! use shaped::data::{Cell, Table, TableRow};
//!
//! struct Penguin {
//!     island: String,
//!     bill_length_mm: Option<f32>,
//!     year: u32,
//! }
//!
//! impl TableRow for Penguin {
//!     const COLUMNS: &'static [&'static str] = &["island", "bill_length_mm", "year"];
//!
//!     fn from_cells(cells: &[&str]) -> Result<Self, (usize, String)> {
//!         Ok(Penguin {
//!             island: Cell::parse(cells[0]).map_err(|why| (0, why))?,
//!             bill_length_mm: Cell::parse(cells[1]).map_err(|why| (1, why))?,
//!             year: Cell::parse(cells[2]).map_err(|why| (2, why))?,
//!         })
//!     }
//! }
//!
//! let csv = "species,island,bill_length_mm,year\n\
//!            Adelie,Torgersen,39.1,2007\n\
//!            Adelie,\"Torgersen, south\",NA,2007\n";
//! let table = Table::from_csv_str(csv, "penguins.csv")?;
//! let rows: Vec<Penguin> = table.rows()?;
//! assert_eq!((rows[0].bill_length_mm, rows[1].bill_length_mm), (Some(39.1), None));
//! assert_eq!((rows[1].island.as_str(), rows[1].year), ("Torgersen, south", 2007));
//!
//! let err = table.column::<f32>("bill_length_mm").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "penguins.csv, line 3, column `bill_length_mm`: \"NA\" is missing; declare the input as \
//!      `Option<f32>[1]` to let `Normalization` fill it with the mean"
//! );
//! # Ok::<(), shaped::Error>(())
//! ```

use std::fs::File;
use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// A CSV file read into memory: its header and its records as text.
///
/// The first record is the header, one name per column (ASCII whitespace around a name is
/// trimmed). Every other record must have as many fields as the header. Cells stay text until
/// [`rows`](Table::rows) or [`column`](Table::column) reads them, so one table can be read as
/// several row types.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file, or the name given to text read from memory, for errors.
    source: String,
    /// The column names, trimmed.
    headers: Vec<String>,
    /// The records after the header, each as long as `headers`.
    records: Vec<csv::StringRecord>,
    /// Each record's first line in the file, 1-based.
    lines: Vec<usize>,
}

impl Table {
    /// Reads the CSV file at `path`; a path ending in `.gz` is gunzipped on the fly.
    ///
    /// `Err` naming the file: [`Error::Io`] when it cannot be opened or read, [`Error::Format`]
    /// when it is not UTF-8 or a record's number of fields differs from the header's (naming the
    /// line and both counts).
    pub fn read_csv(path: impl AsRef<Path>) -> Result<Table> {
        let path = path.as_ref();
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut bytes = Vec::new();
        let read = if path.extension().is_some_and(|ext| ext == "gz") {
            MultiGzDecoder::new(file).read_to_end(&mut bytes)
        } else {
            file.read_to_end(&mut bytes)
        };
        read.map_err(|e| Error::io(path, e))?;
        Table::parse(&bytes, path.display().to_string())
    }

    /// Parses CSV text as [`read_csv`](Table::read_csv) does; `source` names it in errors.
    ///
    /// ```
    /// let table = shaped::data::Table::from_csv_str("a,b\r\n1,\"x, y\"\r\n", "t.csv")?;
    /// assert_eq!((table.columns(), table.len()), (&["a".to_string(), "b".to_string()][..], 1));
    /// assert_eq!(table.column::<String>("b")?, ["x, y"]);
    /// # Ok::<(), shaped::Error>(())
    /// ```
    pub fn from_csv_str(text: &str, source: &str) -> Result<Table> {
        Table::parse(text.as_bytes(), source.to_string())
    }

    /// The whole file's `bytes`, which the line numbers are counted in.
    fn parse(bytes: &[u8], source: String) -> Result<Table> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header = reader.headers().map_err(|e| csv_error(&source, bytes, e))?;
        let header_line = line_at(bytes, header.position());
        let headers: Vec<String> = header.iter().map(|name| name.trim_ascii().to_string()).collect();
        let mut records = Vec::new();
        let mut lines = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(&source, bytes, e))?;
            let line = line_at(bytes, record.position());
            if record.len() != headers.len() {
                return Err(Error::format(
                    &source,
                    format!(
                        "line {line} has {} fields, but the header (line {header_line}) has {}",
                        record.len(),
                        headers.len()
                    ),
                ));
            }
            records.push(record);
            lines.push(line);
        }
        Ok(Table { source, headers, records, lines })
    }

    /// The column names, in the file's order.
    pub fn columns(&self) -> &[String] {
        &self.headers
    }

    /// The number of records, the header not counted.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the file has no record after its header.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every record as `R`, its fields read from the columns `R::COLUMNS` names (any order in the
    /// file, other columns ignored; where the header repeats a name, the first such column).
    ///
    /// `Err`: [`Error::Format`] listing the file's columns when it lacks one that `R::COLUMNS`
    /// names (with the closest name, when one is near), or [`Error::Table`] for the first cell
    /// that does not parse, naming its line, column and value.
    pub fn rows<R: TableRow>(&self) -> Result<Vec<R>> {
        let at = self.find(R::COLUMNS)?;
        let mut cells: Vec<&str> = Vec::with_capacity(at.len());
        self.records
            .iter()
            .zip(&self.lines)
            .map(|(record, &line)| {
                cells.clear();
                // Every record is as long as the header (checked when read).
                cells.extend(at.iter().map(|&i| &record[i]));
                R::from_cells(&cells).map_err(|(k, why)| {
                    let column = R::COLUMNS.get(k).copied().unwrap_or_default();
                    self.cell_error(line, column, cells.get(k).copied().unwrap_or_default(), why)
                })
            })
            .collect()
    }

    /// One column's cells as `T`.
    ///
    /// `Err` as [`rows`](Table::rows): the file's columns when it has none named `name`, or the
    /// first cell that does not parse.
    pub fn column<T: Cell>(&self, name: &str) -> Result<Vec<T>> {
        let at = self.find(&[name])?[0];
        self.records
            .iter()
            .zip(&self.lines)
            .map(|(record, &line)| {
                let text = &record[at];
                T::parse(text).map_err(|why| self.cell_error(line, name, text, why))
            })
            .collect()
    }

    /// The index of each of `names` among the columns, or an `Err` naming those missing.
    fn find(&self, names: &[&str]) -> Result<Vec<usize>> {
        let found: Vec<Option<usize>> =
            names.iter().map(|name| self.headers.iter().position(|h| h == name)).collect();
        if found.iter().all(Option::is_some) {
            return Ok(found.into_iter().flatten().collect());
        }
        let missing: Vec<String> = names
            .iter()
            .zip(&found)
            .filter(|(_, at)| at.is_none())
            .map(|(name, _)| match closest(name, &self.headers) {
                Some(near) => format!("`{name}` (did you mean `{near}`?)"),
                None => format!("`{name}`"),
            })
            .collect();
        let columns: Vec<String> = self.headers.iter().map(|h| format!("`{h}`")).collect();
        let columns = if columns.is_empty() { "none".to_string() } else { columns.join(", ") };
        let plural = if missing.len() == 1 { "" } else { "s" };
        Err(Error::format(
            &self.source,
            format!("no column{plural} {}; its columns are {columns}", missing.join(", ")),
        ))
    }

    fn cell_error(&self, line: usize, column: &str, value: &str, why: String) -> Error {
        Error::Table {
            source: self.source.clone(),
            line,
            column: column.to_string(),
            value: value.to_string(),
            why,
        }
    }
}

/// The line a record starts on, 1-based, from the csv crate's position of it in `bytes`.
///
/// The csv crate places a record where the one before it ended, before the blank lines it
/// skips; the record itself starts after them.
fn line_at(bytes: &[u8], position: Option<&csv::Position>) -> usize {
    let Some(position) = position else { return 1 };
    let start = usize::try_from(position.byte()).unwrap_or(usize::MAX).min(bytes.len());
    let blank = bytes[start..].iter().take_while(|&&b| b == b'\r' || b == b'\n');
    position.line() as usize + blank.filter(|&&b| b == b'\n').count()
}

/// The csv crate's error as ours: the file and the line, in plain words.
fn csv_error(source: &str, bytes: &[u8], err: csv::Error) -> Error {
    let line = line_at(bytes, err.position());
    let text = err.to_string();
    match err.into_kind() {
        csv::ErrorKind::Io(e) => Error::io(source, e),
        csv::ErrorKind::Utf8 { err, .. } => {
            Error::format(source, format!("line {line}, field {}: not valid UTF-8", err.field() + 1))
        }
        _ => Error::format(source, text),
    }
}

/// The name among `names` nearest to `name`, if within 2 edits (and fewer than its length).
fn closest<'a>(name: &str, names: &'a [String]) -> Option<&'a str> {
    let limit = 2.min(name.chars().count().saturating_sub(1));
    shaped_rules::nearest_within(name, names.iter().map(String::as_str), limit)
}

/// The texts `pandas.read_csv` treats as a missing value by default (its `na_values`), which a
/// cell matches after trimming ASCII whitespace.
pub const NA_VALUES: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
    "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Whether a cell holds a missing value: one of [`NA_VALUES`] once ASCII whitespace around it
/// is trimmed.
///
/// ```
/// use shaped::data::is_missing;
///
/// assert!(is_missing("NA") && is_missing(" ") && is_missing("null") && is_missing("#N/A"));
/// assert!(!is_missing("0") && !is_missing("na") && !is_missing("missing"));
/// ```
pub fn is_missing(text: &str) -> bool {
    NA_VALUES.contains(&text.trim_ascii())
}

/// One value read from a CSV cell.
///
/// The why of an `Err` continues the sentence `"<value as written>" …`, e.g. "is not a number";
/// [`Table`] puts the file, line and column before it. Implemented for `f32`, `f64`, `u32`,
/// `i64`, `bool`, `String`, `[T; 1]` (the cell as a one-value sample, for `input: [1]`) and
/// `Option<T>`:
///
/// - numbers are read after trimming ASCII whitespace: floats by Rust's parser (a NaN or an
///   infinity is an error, "is not a finite number"), `u32` from digits alone, `i64` with an
///   optional sign; `bool` from `true`, `True`, `TRUE` and the same spellings of false, as
///   pandas reads them;
/// - a missing value ([`is_missing`]) is an error for a number or a `bool`, whose why says to
///   read it as optional; a `String` keeps it as written (`"NA"` stays `"NA"`, a category of
///   its own) and keeps every other text as written too, untrimmed;
/// - `Option<T>` is `None` for a missing value, and for NaN when `T` is a float; otherwise `T`.
///
/// ```
/// use shaped::data::Cell;
///
/// assert_eq!(f32::parse(" 2.5 "), Ok(2.5));
/// assert_eq!(<Option<f32>>::parse("NA"), Ok(None));
/// assert_eq!(String::parse("NA").as_deref(), Ok("NA"));
/// assert_eq!(<Option<String>>::parse("NA"), Ok(None));
/// assert_eq!(<[u32; 1]>::parse("2007"), Ok([2007]));
/// assert_eq!(u32::parse("-1"), Err("is not a whole number from 0 to 4294967295".to_string()));
/// ```
pub trait Cell: Sized {
    /// The value of a cell, given as written in the file; `Err(why)` when it holds none.
    fn parse(text: &str) -> std::result::Result<Self, String>;

    /// The value of a cell that may be missing, `Ok(None)` when it is: what `Option<Self>`
    /// reads. By default a cell is missing when [`is_missing`] says so, and is read by
    /// [`parse`](Cell::parse) otherwise; the floats also count a NaN as missing.
    fn parse_optional(text: &str) -> std::result::Result<Option<Self>, String> {
        if is_missing(text) {
            Ok(None)
        } else {
            Self::parse(text).map(Some)
        }
    }
}

/// Why a required value is missing, and how to accept missing values.
fn missing(optional: &str) -> String {
    format!("is missing; read the column as `{optional}` to accept missing values")
}

macro_rules! float_cell {
    ($float:ty, $missing:expr) => {
        impl Cell for $float {
            fn parse(text: &str) -> std::result::Result<Self, String> {
                match <$float as Cell>::parse_optional(text)? {
                    Some(value) => Ok(value),
                    None if is_missing(text) => Err($missing),
                    // A NaN spelled otherwise than pandas's missing values, "NAN" or "+nan".
                    None => Err("is not a finite number".to_string()),
                }
            }

            fn parse_optional(text: &str) -> std::result::Result<Option<Self>, String> {
                let text = text.trim_ascii();
                if is_missing(text) {
                    return Ok(None);
                }
                let value: $float = text.parse().map_err(|_| "is not a number".to_string())?;
                if value.is_nan() {
                    Ok(None)
                } else if value.is_infinite() {
                    Err("is not a finite number".to_string())
                } else {
                    Ok(Some(value))
                }
            }
        }
    };
}

float_cell!(
    f32,
    "is missing; declare the input as `Option<f32>[1]` to let `Normalization` fill it with the mean"
        .to_string()
);
float_cell!(f64, missing("Option<f64>"));

impl Cell for u32 {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim_ascii();
        if is_missing(text) {
            return Err(missing("Option<u32>"));
        }
        let digits = text.bytes().all(|b| b.is_ascii_digit());
        text.parse()
            .ok()
            .filter(|_| digits)
            .ok_or_else(|| format!("is not a whole number from 0 to {}", u32::MAX))
    }
}

impl Cell for i64 {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim_ascii();
        if is_missing(text) {
            return Err(missing("Option<i64>"));
        }
        text.parse().map_err(|_| format!("is not a whole number from {} to {}", i64::MIN, i64::MAX))
    }
}

impl Cell for bool {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        match text.trim_ascii() {
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            text if is_missing(text) => Err(missing("Option<bool>")),
            _ => Err("is not true or false".to_string()),
        }
    }
}

impl Cell for String {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        Ok(text.to_string())
    }
}

impl<T: Cell> Cell for [T; 1] {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        T::parse(text).map(|value| [value])
    }

    fn parse_optional(text: &str) -> std::result::Result<Option<Self>, String> {
        T::parse_optional(text).map(|value| value.map(|value| [value]))
    }
}

impl<T: Cell> Cell for Option<T> {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        T::parse_optional(text)
    }
}

/// A row type whose fields are named columns: what `model!`'s generated input struct
/// implements, and what [`Table::rows`] reads.
///
/// An implementation reads each field with [`Cell::parse`] and, when one fails, returns its
/// index with the why; [`Table`] adds the file, the line, the column and the value:
///
/// ```
/// use shaped::data::{Cell, Table, TableRow};
///
/// #[derive(Debug)]
/// struct Row {
///     sex: Option<String>,
///     flipper: [f32; 1],
/// }
///
/// impl TableRow for Row {
///     const COLUMNS: &'static [&'static str] = &["sex", "flipper_length_mm"];
///
///     fn from_cells(cells: &[&str]) -> Result<Self, (usize, String)> {
///         Ok(Row {
///             sex: Cell::parse(cells[0]).map_err(|why| (0, why))?,
///             flipper: Cell::parse(cells[1]).map_err(|why| (1, why))?,
///         })
///     }
/// }
///
/// let table = Table::from_csv_str("flipper_length_mm,sex\n181,male\n190,NA\n19O,female\n", "p.csv")?;
/// let err = table.rows::<Row>().unwrap_err();
/// assert_eq!(err.to_string(), "p.csv, line 4, column `flipper_length_mm`: \"19O\" is not a number");
/// # Ok::<(), shaped::Error>(())
/// ```
pub trait TableRow: Sized {
    /// The column each field reads, in field order.
    const COLUMNS: &'static [&'static str];

    /// The row from its cells, in `COLUMNS` order (as written in the file); `Err((k, why))`
    /// names the field `k` that does not parse and why, as [`Cell::parse`] words it.
    fn from_cells(cells: &[&str]) -> std::result::Result<Self, (usize, String)>;
}

/// Class ids for string labels: the distinct labels sorted (by bytes), and each label's index
/// among them, as scikit-learn's `LabelEncoder` numbers classes.
///
/// ```
/// let labels = ["Gentoo", "Adelie", "Gentoo", "Chinstrap"].map(String::from);
/// let (ids, classes) = shaped::data::label_ids(&labels);
/// assert_eq!((ids, classes), (vec![2, 0, 2, 1], ["Adelie", "Chinstrap", "Gentoo"].map(String::from).to_vec()));
/// ```
pub fn label_ids(labels: &[String]) -> (Vec<u32>, Vec<String>) {
    let mut classes: Vec<&String> = labels.iter().collect();
    classes.sort_unstable();
    classes.dedup();
    let ids = labels.iter().map(|label| classes.partition_point(|&c| c < label) as u32).collect();
    (ids, classes.into_iter().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of every kind of cell, written by hand as `model!` will generate it.
    #[derive(Debug, PartialEq)]
    struct Mixed {
        island: String,
        sex: Option<String>,
        bill: Option<f32>,
        year: u32,
        flipper: [f32; 1],
    }

    impl TableRow for Mixed {
        const COLUMNS: &'static [&'static str] = &["island", "sex", "bill", "year", "flipper"];

        fn from_cells(cells: &[&str]) -> std::result::Result<Self, (usize, String)> {
            Ok(Mixed {
                island: Cell::parse(cells[0]).map_err(|why| (0, why))?,
                sex: Cell::parse(cells[1]).map_err(|why| (1, why))?,
                bill: Cell::parse(cells[2]).map_err(|why| (2, why))?,
                year: Cell::parse(cells[3]).map_err(|why| (3, why))?,
                flipper: Cell::parse(cells[4]).map_err(|why| (4, why))?,
            })
        }
    }

    fn table(text: &str) -> Table {
        Table::from_csv_str(text, "t.csv").unwrap()
    }

    #[test]
    fn reads_mixed_columns_in_any_order() {
        let t = table(
            "\u{feff}year, flipper ,species,bill,island,sex\r\n\
             2007,181,Adelie,39.1,Torgersen,male\r\n\
             \r\n\
             2009, 190.5 ,Gentoo,NA,\"Biscoe, north\",\r\n",
        );
        assert_eq!(t.columns(), ["year", "flipper", "species", "bill", "island", "sex"]);
        assert_eq!((t.len(), t.is_empty()), (2, false));
        let rows: Vec<Mixed> = t.rows().unwrap();
        assert_eq!(
            rows,
            [
                Mixed {
                    island: "Torgersen".into(),
                    sex: Some("male".into()),
                    bill: Some(39.1),
                    year: 2007,
                    flipper: [181.0],
                },
                Mixed { island: "Biscoe, north".into(), sex: None, bill: None, year: 2009, flipper: [190.5] },
            ]
        );
        assert!(table("a,b\n").is_empty());
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_ends() {
        let t = table("name,n\n\"Smith, J.\",1\n\"say \"\"hi\"\"\nthere\",2\nlast,x\n");
        assert_eq!(t.column::<String>("name").unwrap(), ["Smith, J.", "say \"hi\"\nthere", "last"]);
        // The record after the two-line field starts at line 5.
        let err = t.column::<u32>("n").unwrap_err().to_string();
        assert_eq!(err, "t.csv, line 5, column `n`: \"x\" is not a whole number from 0 to 4294967295");
    }

    #[test]
    fn every_na_spelling_is_none_when_optional() {
        for &na in NA_VALUES {
            let padded = format!(" {na}\t");
            for text in [na, padded.as_str()] {
                assert_eq!(<Option<f32>>::parse(text), Ok(None), "{text:?}");
                assert_eq!(<Option<[f32; 1]>>::parse(text), Ok(None), "{text:?}");
                assert_eq!(<Option<u32>>::parse(text), Ok(None), "{text:?}");
                assert_eq!(<Option<String>>::parse(text), Ok(None), "{text:?}");
            }
        }
        // NaN spelled another way is missing for an optional float, an error otherwise.
        assert_eq!(<Option<f64>>::parse("NAN"), Ok(None));
        assert_eq!(f32::parse("NAN"), Err("is not a finite number".into()));
        assert_eq!(<Option<f32>>::parse("inf"), Err("is not a finite number".into()));
        assert_eq!(<Option<String>>::parse(" x "), Ok(Some(" x ".into())));
        assert_eq!(<Option<f32>>::parse(" -2.5e1"), Ok(Some(-25.0)));
    }

    #[test]
    fn a_string_keeps_missing_values_as_text() {
        let t = table("sex\nNA\n\nmale\n\"\"\n");
        assert_eq!(t.column::<String>("sex").unwrap(), ["NA", "male", ""]);
        assert_eq!(t.column::<Option<String>>("sex").unwrap(), [None, Some("male".into()), None]);
    }

    #[test]
    fn required_values_say_they_are_missing() {
        assert_eq!(
            f32::parse("NA").unwrap_err(),
            "is missing; declare the input as `Option<f32>[1]` to let `Normalization` fill it with the mean"
        );
        assert_eq!(<[f32; 1]>::parse("").unwrap_err(), f32::parse("").unwrap_err());
        assert_eq!(
            u32::parse("null").unwrap_err(),
            "is missing; read the column as `Option<u32>` to accept missing values"
        );
        assert!(f64::parse("n/a").unwrap_err().contains("`Option<f64>`"));
        assert!(i64::parse("None").unwrap_err().contains("`Option<i64>`"));
        assert!(bool::parse("NULL").unwrap_err().contains("`Option<bool>`"));
    }

    #[test]
    fn numbers_and_flags() {
        assert_eq!(u32::parse(" 2007 "), Ok(2007));
        for bad in ["+1", "1.0", "4294967296", "1_000", "x"] {
            assert_eq!(u32::parse(bad), Err("is not a whole number from 0 to 4294967295".into()), "{bad}");
        }
        assert_eq!(i64::parse("-12"), Ok(-12));
        assert!(i64::parse("1e3")
            .unwrap_err()
            .starts_with("is not a whole number from -9223372036854775808"));
        assert_eq!(f64::parse("1e-3"), Ok(1e-3));
        assert_eq!(f32::parse("1e39"), Err("is not a finite number".into()));
        assert_eq!(f32::parse("3,5"), Err("is not a number".into()));
        assert_eq!((bool::parse("True"), bool::parse(" false")), (Ok(true), Ok(false)));
        assert_eq!(<[u32; 1]>::parse("7"), Ok([7]));
    }

    #[test]
    fn a_bad_number_names_file_line_column_and_value() {
        let t =
            table("island,sex,bill,year,flipper\nDream,male,40.2,2008,190\n\nDream,female,4O.1,2008,187\n");
        let err = t.rows::<Mixed>().unwrap_err();
        assert_eq!(err.to_string(), "t.csv, line 4, column `bill`: \"4O.1\" is not a number");
        assert!(matches!(err, Error::Table { line: 4, .. }));
        let err = t.column::<u32>("island").unwrap_err().to_string();
        assert_eq!(
            err,
            "t.csv, line 2, column `island`: \"Dream\" is not a whole number from 0 to 4294967295"
        );
    }

    #[test]
    fn a_missing_column_lists_the_columns_and_the_closest_name() {
        let t = table("island,sex,bill_length,year,flipper_mm\n");
        let err = t.rows::<Mixed>().unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot read t.csv: no columns `bill`, `flipper`; its columns are `island`, `sex`, \
             `bill_length`, `year`, `flipper_mm`"
        );
        let err = t.column::<f32>("yaer").unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot read t.csv: no column `yaer` (did you mean `year`?); its columns are `island`, \
             `sex`, `bill_length`, `year`, `flipper_mm`"
        );
        let err = table("").column::<f32>("x").unwrap_err().to_string();
        assert_eq!(err, "cannot read t.csv: no column `x`; its columns are none");
    }

    #[test]
    fn a_record_of_another_length_names_the_line_and_both_counts() {
        let err = Table::from_csv_str("a,b,c\n1,2,3\n\n4,5\n", "t.csv").unwrap_err().to_string();
        assert_eq!(err, "cannot read t.csv: line 4 has 2 fields, but the header (line 1) has 3");
        let err = Table::from_csv_str("a\n1,2\n", "t.csv").unwrap_err().to_string();
        assert_eq!(err, "cannot read t.csv: line 2 has 2 fields, but the header (line 1) has 1");
        let err = Table::from_csv_str("\r\n\r\na,b\r\n\r\n1\r\n", "t.csv").unwrap_err().to_string();
        assert_eq!(err, "cannot read t.csv: line 5 has 1 fields, but the header (line 3) has 2");
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = Table::parse(b"a,b\n\n1,\xff\n", "t.csv".into()).unwrap_err().to_string();
        assert_eq!(err, "cannot read t.csv: line 3, field 2: not valid UTF-8");
    }

    #[test]
    fn label_ids_number_the_sorted_classes() {
        let labels = ["b", "a", "c", "a", "b"].map(String::from);
        assert_eq!(label_ids(&labels), (vec![1, 0, 2, 0, 1], ["a", "b", "c"].map(String::from).to_vec()));
        assert_eq!(label_ids(&[]), (vec![], vec![]));
    }

    #[test]
    fn a_one_letter_name_gets_no_suggestion() {
        assert_eq!(closest("x", &["y".to_string()]), None);
        assert_eq!(closest("yaer", &["island".to_string(), "year".to_string()]), Some("year"));
    }

    struct Penguin {
        island: String,
        bill_length_mm: Option<f32>,
        sex: Option<String>,
    }

    impl TableRow for Penguin {
        const COLUMNS: &'static [&'static str] = &["island", "bill_length_mm", "sex"];

        fn from_cells(cells: &[&str]) -> std::result::Result<Self, (usize, String)> {
            Ok(Penguin {
                island: Cell::parse(cells[0]).map_err(|why| (0, why))?,
                bill_length_mm: Cell::parse(cells[1]).map_err(|why| (1, why))?,
                sex: Cell::parse(cells[2]).map_err(|why| (2, why))?,
            })
        }
    }

    #[test]
    fn reads_the_penguins() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/penguins.csv");
        let t = Table::read_csv(&path).unwrap();
        let rows: Vec<Penguin> = t.rows().unwrap();
        assert_eq!(rows.len(), 344);
        assert_eq!(rows.iter().filter(|r| r.bill_length_mm.is_none()).count(), 2);
        assert_eq!(rows.iter().filter(|r| r.sex.is_none()).count(), 11);
        assert_eq!((rows[0].island.as_str(), rows[0].bill_length_mm), ("Torgersen", Some(39.1)));
        let (_, islands) = label_ids(&t.column::<String>("island").unwrap());
        assert_eq!(islands, ["Biscoe", "Dream", "Torgersen"]);
        let err = t.column::<f32>("bill_length_mm").unwrap_err().to_string();
        assert!(err.ends_with("penguins.csv, line 5, column `bill_length_mm`: \"NA\" is missing; declare the input as `Option<f32>[1]` to let `Normalization` fill it with the mean"), "{err}");
    }

    #[test]
    fn reads_gzipped_files_and_names_a_missing_one() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"a\n1\n").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        assert_eq!(Table::read_csv(&path).unwrap().column::<u32>("a").unwrap(), [1]);
        let missing = dir.path().join("none.csv");
        assert!(
            matches!(Table::read_csv(&missing), Err(Error::Io { path, .. }) if path.ends_with("none.csv"))
        );
    }
}
