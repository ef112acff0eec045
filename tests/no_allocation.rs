//! A training step allocates nothing once a batch size has been seen: 100 steps of the MLP
//! (dropout, softmax + crossentropy, Adam) are counted by DHAT's allocator.
//!
//! One test per file: DHAT's profiler is process-wide.

use shaped::prelude::*;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

shaped::model! {
    struct Mlp {
        input: [64],
        Dense(128, activation = relu),
        Dropout(0.2),
        Dense(64, activation = gelu),
        Dense(10, activation = softmax),
    }
}

#[test]
fn training_steps_do_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let x: Vec<[f32; 64]> = (0..32).map(|i| [(i as f32 * 0.1).sin(); 64]).collect();
    let y: Vec<u32> = (0..32).map(|i| i % 10).collect();
    let mut model = Mlp::new(1)
        .compile(
            Adam { global_clipnorm: Some(1.0), ..Default::default() },
            SparseCategoricalCrossentropy::default(),
            [Accuracy],
        )
        .unwrap();
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
