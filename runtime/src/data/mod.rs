//! Loading and preparing data.
//!
//! - [`csv`]: numeric CSV files, gzipped or not ([`read_csv_f32`]).
//! - [`digits`]: the 8×8 handwritten digits of `data/digits.csv.gz` ([`load_digits`]).
//! - [`categorical`]: one-hot labels ([`to_categorical`]).
//! - [`padding`]: ragged sequences to one length ([`pad_sequences`], [`pad_sequences_f32`]).
//! - [`rows`]: rows read at run time into a model's arrays ([`from_rows`],
//!   [`features_and_labels`]).
//! - [`table`]: CSV files of mixed columns (strings, numbers, missing values) read into typed
//!   rows ([`Table`], [`TableRow`], [`Cell`]) and string labels into class ids ([`label_ids`]).
//! - [`rng`]: the seeded [`SplitMix64`] generator used for shuffling and splitting.

pub mod categorical;
pub mod csv;
pub mod digits;
pub mod padding;
pub mod rng;
pub mod rows;
pub mod table;
pub mod ts;

pub use categorical::to_categorical;
pub use csv::{parse_csv_f32, read_csv_f32};
pub use digits::{load_digits, Digits};
pub use padding::{pad_sequences, pad_sequences_f32, Padding, Truncating};
pub use rng::SplitMix64;
pub use rows::{features_and_labels, from_rows};
pub use table::{is_missing, label_ids, Cell, Table, TableRow, NA_VALUES};
pub use ts::{read_ts, Series};
