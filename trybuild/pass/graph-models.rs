//! Graph models through the whole API: several named inputs of both dtypes, a sequence input,
//! merges, a shared layer, several outputs with their own losses, a nested model as a node.

use shaped::prelude::*;

shaped::model! {
    /// A nested block, used as one node.
    struct Block {
        input: [6],
        Dense(6, activation = relu),
    }
}

shaped::model! {
    struct Shop {
        input user: u32[1],
        input words: u32[None],
        input features: [8],
        user_vec: Embedding(100, 4)(user),
        user_flat: Flatten()(user_vec),
        word_vecs: Embedding(50, 4, mask_zero = true)(words),
        text: GlobalAvgPool1d()(word_vecs),
        projected: Dense(6)(features),
        block: Block::new(seed)(projected) -> [6],
        both: Concatenate()(user_flat, text, block),
        hidden: Dense(8, activation = relu)(both),
        shared: Dense(4, activation = tanh)(hidden),
        shared_again: shared(hidden),
        mixed: Average()(shared, shared_again),
        output rating: Dense(1)(mixed),
        output click: Dense(1, activation = sigmoid)(hidden),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let x: Vec<ShopInput> = (0..12)
        .map(|i| ShopInput { user: i % 100, words: vec![1 + i % 49; 1 + i as usize % 5], features: [0.1 * i as f32; 8] })
        .collect();
    let y: Vec<ShopLabels<[f32; 1], [f32; 1]>> =
        (0..12).map(|i| ShopLabels { rating: [i as f32 / 12.0], click: [(i % 2) as f32] }).collect();
    let mut model = Shop::new(0).compile(
        Adam::default(),
        ShopLosses {
            rating: OutputLoss::new(MeanSquaredError),
            click: OutputLoss::new(BinaryCrossentropy::default()).weighted(0.5).with_metrics([Accuracy]),
        },
    )?;
    model.summary();
    let history = model.fit(&x, &y, FitOptions { epochs: 2, validation_split: 0.25, verbose: Verbose::Silent, ..Default::default() })?;
    assert!(history.get("val_click_accuracy").is_some());
    let logs = model.evaluate(&x, &y)?;
    assert!(logs.get("rating_loss").is_some());
    let _loss: f32 = model.train_on_batch(&x, &y)?;
    let predictions: Vec<ShopOutput> = model.predict(&x)?;
    assert!(predictions.iter().all(|p| (0.0..=1.0).contains(&p.click[0])));
    let path = std::env::temp_dir().join(format!("shaped-graph-pass-{}.safetensors", std::process::id()));
    model.save_weights(&path)?;
    Shop::new(1).load_weights(&path)?;
    std::fs::remove_file(&path)?;
    Ok(())
}
