//! Images of any size, without resizing by hand: the 8×8 digits scaled up to random sizes
//! between 8×8 and 32×32 (nearest neighbour, seeded; height and width drawn apart), classified
//! by one model declared `input: [None, None, 1]`. Each batch is padded to its largest image
//! and masked, so every image is computed exactly as if it were alone; global pooling turns a
//! feature map of any size into one vector.
//!
//! Run: `cargo run --release --example images_any_size`

use shaped::data::{load_digits, SplitMix64};
use shaped::prelude::*;
use shaped::tensor::Image;

shaped::model! {
    /// Classifies one-channel digit images of any height and width.
    pub struct AnySize {
        input: [None, None, 1],
        Conv2d(32, 3, padding = same, activation = relu),
        MaxPool2d(2, padding = same),
        Conv2d(64, 3, padding = same, activation = relu),
        MaxPool2d(2, padding = same),
        Conv2d(64, 3, padding = same, activation = relu),
        GlobalMaxPool2d,
        Dense(10, activation = softmax),
    }
}

/// The 8×8 image `flat` scaled to `height × width` by nearest neighbour.
fn scaled(flat: &[f32; 64], height: usize, width: usize) -> shaped::Result<Image<1>> {
    let pixels = (0..height * width)
        .map(|i| {
            let (row, col) = (i / width * 8 / height, i % width * 8 / width);
            [flat[row * 8 + col]]
        })
        .collect();
    Image::new(height, width, pixels)
}

/// Every image at a random size between 8 and 32 on each side.
fn at_random_sizes(images: &[[f32; 64]], rng: &mut SplitMix64) -> shaped::Result<Vec<Image<1>>> {
    images
        .iter()
        .map(|flat| {
            let h = 8 + (rng.next_u64() % 25) as usize;
            let w = 8 + (rng.next_u64() % 25) as usize;
            scaled(flat, h, w)
        })
        .collect()
}

fn main() -> shaped::Result<()> {
    let start = std::time::Instant::now();
    let data = load_digits(concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz"))?;
    let (train, test) = data.split(0.2, 42);
    let mut rng = SplitMix64::new(7);
    let x_train = at_random_sizes(&train.images, &mut rng)?;
    let x_test = at_random_sizes(&test.images, &mut rng)?;
    let sizes: Vec<String> =
        x_train.iter().take(5).map(|i| format!("{}×{}", i.height(), i.width())).collect();
    println!("{} training and {} test images, sized {} ...\n", x_train.len(), x_test.len(), sizes.join(", "));

    let mut model =
        AnySize::new(42).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
    model.summary();
    model.fit(
        &x_train,
        &train.labels,
        FitOptions {
            epochs: 15,
            batch_size: 32,
            validation_split: 0.1,
            bucket_by_length: true,
            ..Default::default()
        },
    )?;

    let scores = model.evaluate(&x_test, &test.labels)?;
    let accuracy = scores.get("accuracy").unwrap_or(f64::NAN);
    println!("\ntest loss {:.4}, test accuracy {accuracy:.4}", scores.get("loss").unwrap_or(f64::NAN));

    // The same digit at two sizes, alone: one model, no resizing.
    let small = scaled(&test.images[0], 9, 11)?;
    let large = scaled(&test.images[0], 30, 24)?;
    let probs: Vec<[f32; 10]> = model.predict(&[small, large])?;
    for (p, size) in probs.iter().zip(["9×11", "30×24"]) {
        let class = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(c, _)| c);
        println!("  label {} at {size}: predicted {class} (p = {:.3})", test.labels[0], p[class]);
    }
    println!("done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
