//! One model, two answers: a shared body reads an 8×8 handwritten digit and two heads answer
//! "which digit?" (softmax, sparse crossentropy) and "how much ink?" (the fraction of dark
//! pixels, a regression with mean squared error), each with its own loss weight and metric,
//! as Keras's `compile(loss={..}, loss_weights={..}, metrics={..})` does.
//!
//! Run: `cargo run --release --example multi_output`

use shaped::data::load_digits;
use shaped::prelude::*;

shaped::model! {
    /// Classifies a digit and estimates how much of the image is ink.
    pub struct DigitAndInk {
        input pixels: [64],
        body: Dense(64, activation = relu)(pixels),
        output digit: Dense(10, activation = softmax)(body),
        ink_hidden: Dense(16, activation = relu)(body),
        output ink: Dense(1, activation = sigmoid)(ink_hidden),
    }
}

/// The fraction of pixels darker than half.
fn ink(image: &[f32; 64]) -> f32 {
    image.iter().filter(|&&p| p > 0.5).count() as f32 / 64.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = std::time::Instant::now();
    let data = load_digits(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz"))?;
    let (train, test) = data.split(0.2, 42);
    let labels = |images: &[[f32; 64]], digits: &[u32]| -> Vec<DigitAndInkLabels<u32, [f32; 1]>> {
        images
            .iter()
            .zip(digits)
            .map(|(image, &digit)| DigitAndInkLabels { digit, ink: [ink(image)] })
            .collect()
    };
    // One input: its samples are plain arrays; two outputs: one label of each per sample.
    let (x_train, y_train) = (&train.images, labels(&train.images, &train.labels));
    let (x_test, y_test) = (&test.images, labels(&test.images, &test.labels));

    let mut model = DigitAndInk::new(42).compile(
        Adam::default(),
        DigitAndInkLosses {
            digit: OutputLoss::new(SparseCategoricalCrossentropy::default()).with_metrics([Accuracy]),
            // Squared errors of a fraction are small: weigh them up so both heads learn.
            ink: OutputLoss::new(MeanSquaredError).weighted(10.0).with_metrics([Mae]),
        },
    )?;
    model.summary();
    model.fit(x_train, &y_train, FitOptions { epochs: 20, validation_split: 0.1, ..Default::default() })?;

    let scores = model.evaluate(x_test, &y_test)?;
    let get = |name: &str| scores.get(name).unwrap_or(f64::NAN);
    println!(
        "\ntest: digit accuracy {:.4}, ink mean absolute error {:.4} (total loss {:.4} = digit_loss {:.4} + 10 × ink_loss {:.4})",
        get("digit_accuracy"),
        get("ink_mae"),
        get("loss"),
        get("digit_loss"),
        get("ink_loss")
    );
    for (prediction, truth) in model.predict(&x_test[..4])?.iter().zip(&y_test) {
        let digit =
            prediction.digit.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(d, _)| d);
        println!(
            "  digit {} → predicted {digit}; ink {:.3} → predicted {:.3}",
            truth.digit, truth.ink[0], prediction.ink[0]
        );
    }
    println!("done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
