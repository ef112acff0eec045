//! Training on padded, masked sequences allocates nothing once the longest batch has been seen:
//! 100 steps over batches of varying lengths through Masking, a bidirectional GRU, an LSTM and
//! pooling, counted by DHAT's allocator. (One test per file: DHAT's profiler is process-wide.)

use shaped::prelude::*;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

shaped::model! {
    struct Tagger {
        input: [None, 8],
        Masking(0.0),
        Bidirectional(Gru(8, return_sequences = true)),
        Lstm(16, return_sequences = true),
        GlobalAvgPool1d,
        Dense(4, activation = softmax),
    }
}

#[test]
fn sequence_training_steps_do_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut rng = shaped::data::SplitMix64::new(8);
    let batches: Vec<Vec<Vec<[f32; 8]>>> = (0..5)
        .map(|b| {
            (0..16)
                .map(|i| {
                    (0..3 + (i * 7 + b * 5) % 40)
                        .map(|_| std::array::from_fn(|_| rng.next_f32() + 0.1))
                        .collect()
                })
                .collect()
        })
        .collect();
    let y: Vec<u32> = (0..16).map(|i| i % 4).collect();
    let mut model = Tagger::new(1)
        .compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])
        .unwrap();
    // The first pass over the batches sizes every buffer for the longest of them.
    for batch in &batches {
        model.train_on_batch(batch, &y).unwrap();
    }
    let before = dhat::HeapStats::get();
    for step in 0..100 {
        model.train_on_batch(&batches[step % batches.len()], &y).unwrap();
    }
    let after = dhat::HeapStats::get();
    assert_eq!(
        after.total_blocks - before.total_blocks,
        0,
        "100 sequence training steps allocated {} blocks ({} bytes)",
        after.total_blocks - before.total_blocks,
        after.total_bytes - before.total_bytes
    );
}
