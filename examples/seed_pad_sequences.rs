//! For users who pad themselves: Keras's `pad_sequences` (same defaults: pad and truncate at the
//! front, value 0), and what the mask does.
//!
//! Token ids padded with 0 go into `Embedding(.., mask_zero = true)`, which masks the zeros, so
//! the LSTM skips the padding exactly as Keras's does. Without the mask the same padded ids
//! give another answer: the padding leaks into the state. shaped's own per-batch padding masks
//! automatically, so ragged `Vec<u32>` need neither step.
//!
//! Run: `cargo run --release --example seed_pad_sequences`

use shaped::data::{pad_sequences, Padding, Truncating};

shaped::model! {
    /// Token ids (0 reserved for padding) → a vector per id → the last LSTM state → 2 classes.
    pub struct Masked {
        input: u32[None],
        Embedding(50, 8, mask_zero = true),
        Lstm(16),
        Dense(2, activation = softmax),
    }
}

shaped::model! {
    /// The same model without the mask: padding counts as real steps.
    pub struct Unmasked {
        input: u32[None],
        Embedding(50, 8),
        Lstm(16),
        Dense(2, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let sentences: Vec<Vec<u32>> = vec![vec![4, 10, 3], vec![7, 2], vec![12, 5, 8, 9, 30, 1]];
    println!("token ids:           {sentences:?}");

    // Keras's defaults: maxlen = the longest, padding and truncating at the front, value 0.
    let padded = pad_sequences(&sentences, None, Padding::Pre, Truncating::Pre, 0)?;
    println!("pad_sequences (pre): {padded:?}");
    let cut = pad_sequences(&sentences, Some(4), Padding::Post, Truncating::Pre, 0)?;
    println!("maxlen 4, post:      {cut:?}\n");

    // With mask_zero the padded and the ragged sequences give the same predictions.
    let mut masked = Masked::new(1);
    let ragged: Vec<[f32; 2]> = masked.predict(&sentences)?;
    let from_padded: Vec<[f32; 2]> = masked.predict(&padded)?;
    for (r, p) in ragged.iter().zip(&from_padded) {
        println!("mask_zero:    ragged {r:?}  padded by hand {p:?}  (same)");
    }

    // Without it, hand-padded zeros are steps like any other and change the answer; ragged input
    // is still right, because shaped masks the padding it adds itself.
    let mut unmasked = Unmasked::new(1);
    let ragged: Vec<[f32; 2]> = unmasked.predict(&sentences)?;
    let from_padded: Vec<[f32; 2]> = unmasked.predict(&padded)?;
    for (r, p) in ragged.iter().zip(&from_padded) {
        let same = if r == p { "same: nothing was padded" } else { "differs: the zeros were read as steps" };
        println!("no mask_zero: ragged {r:?}  padded by hand {p:?}  ({same})");
    }
    Ok(())
}
