//! A training step on a table allocates nothing once a batch size has been seen: 100 steps of
//! a model with a string column through `StringLookup` (one-hot, and int into an `Embedding`),
//! a missing-value column through `Normalization` and `MissingIndicator`, a string column
//! through `Hashing` and integer ids through `IntegerLookup`, counted by DHAT's allocator. The
//! batch's strings, the lookups' indices and `Hashing`'s decimal text reuse their buffers.
//!
//! One test per file: DHAT's profiler is process-wide.

use shaped::prelude::*;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

shaped::model! {
    struct Shop {
        input colour: String[1],
        input city: Option<String>[1],
        input size: Option<f32>[1],
        input code: u32[1],
        colour_hot: StringLookup(max_tokens = 5, output_mode = one_hot)(colour),
        colour_id: StringLookup(max_tokens = 5)(colour),
        colour_vec: Embedding(5, 2)(colour_id),
        colour_flat: Flatten()(colour_vec),
        city_bin: Hashing(num_bins = 5, output_mode = one_hot)(city),
        code_hot: IntegerLookup(max_tokens = 4, output_mode = one_hot)(code),
        code_bin: Hashing(num_bins = 3, output_mode = one_hot)(code),
        scaled: Normalization()(size),
        missing: MissingIndicator()(size),
        features: Concatenate()(colour_hot, colour_flat, city_bin, code_hot, code_bin, scaled, missing),
        output price: Dense(1)(features),
    }
}

#[test]
fn table_steps_do_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let colours = ["red", "green", "blue", "teal"];
    let x: Vec<ShopInput> = (0..32)
        .map(|i| ShopInput {
            colour: colours[i % 4].to_string(),
            city: (i % 5 != 0).then(|| format!("city {}", i % 7)),
            size: (i % 6 != 0).then_some(i as f32 * 0.5),
            code: (i % 3) as u32 * 10,
        })
        .collect();
    let y: Vec<[f32; 1]> = (0..32).map(|i| [(i % 4) as f32]).collect();
    let mut model = Shop::new(1);
    model.adapt(&x).unwrap();
    let mut model = model.compile(Adam::default(), MeanSquaredError, []).unwrap();
    // The first step sizes every buffer and the optimiser's state.
    model.train_on_batch(&x, &y).unwrap();
    let before = dhat::HeapStats::get();
    for _ in 0..100 {
        model.train_on_batch(&x, &y).unwrap();
    }
    let after = dhat::HeapStats::get();
    assert_eq!(
        after.total_blocks - before.total_blocks,
        0,
        "100 training steps allocated {} blocks ({} bytes)",
        after.total_blocks - before.total_blocks,
        after.total_bytes - before.total_bytes
    );
}
