//! The seed article's categorical example, without scikit-learn: the colours stay strings all
//! the way into the model, whose `StringLookup` learns their vocabulary in `adapt` and one-hot
//! encodes them. No width is written outside the model, and no vocabulary by hand.
//!
//! The article's Python:
//!
//! ```python
//! categorical_data = np.array(['red', 'green', 'blue', 'red', 'green'])
//! encoder = OneHotEncoder(handle_unknown='ignore')
//! encoded_data = encoder.fit_transform(categorical_data.reshape(-1, 1)).toarray()
//! input_layer = keras.Input(shape=(encoded_data.shape[1],))
//! ```
//!
//! Here the encoder is a layer: `max_tokens = 4` holds the three colours and the
//! out-of-vocabulary index, where an unseen colour goes (`handle_unknown`). A model that reads
//! the colours and predicts whether each is warm trains on the strings as they are.
//!
//! Run: `cargo run --release --example seed_categorical`

use shaped::prelude::*;

shaped::model! {
    /// The encoder alone: a colour as a one-hot vector of 4 (the OOV index, then the
    /// vocabulary, most frequent first).
    struct Encoder {
        input colour: String[1],
        output encoded: StringLookup(max_tokens = 4, output_mode = one_hot)(colour),
    }
}

shaped::model! {
    /// Whether a colour is warm, from the colour's name.
    struct Warm {
        input colour: String[1],
        encoded: StringLookup(max_tokens = 4, output_mode = one_hot)(colour),
        output warm: Dense(1, activation = sigmoid)(encoded),
    }
}

fn main() -> shaped::Result<()> {
    let categorical_data: Vec<String> = ["red", "green", "blue", "red", "green"].map(String::from).to_vec();

    let mut encoder = Encoder::new(0);
    encoder.adapt(&categorical_data)?;
    let seen = ["red", "green", "blue", "purple"].map(String::from);
    for (colour, row) in seen.iter().zip(encoder.predict(&seen)?) {
        println!("{colour:>7} → {row:?}");
    }

    let warm: Vec<[f32; 1]> = categorical_data.iter().map(|c| [if c == "red" { 1.0 } else { 0.0 }]).collect();
    let mut model = Warm::new(0);
    model.adapt(&categorical_data)?;
    let mut model = model.compile(
        Adam { learning_rate: 0.1f32.into(), ..Default::default() },
        BinaryCrossentropy::default(),
        [],
    )?;
    model.fit(
        &categorical_data,
        &warm,
        FitOptions { epochs: 100, verbose: Verbose::Silent, ..Default::default() },
    )?;
    let predicted = model.predict(&seen)?;
    for (colour, p) in seen.iter().zip(&predicted) {
        println!("P(warm | {colour}) = {:.3}", p[0]);
    }
    if predicted[0][0] < 0.9 || predicted[1][0] > 0.1 || predicted[2][0] > 0.1 {
        return Err(shaped::Error::InvalidArgument {
            name: "model",
            detail: "did not learn that red is warm".into(),
        });
    }
    Ok(())
}
