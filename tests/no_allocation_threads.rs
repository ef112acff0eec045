//! A training step on two kernel threads allocates nothing once a batch size has been seen,
//! and gives the same weights, bit for bit, as on one: the W2 MLP (784 → 256 → 128 → 10, Adam)
//! at batch 64, whose products are large enough to be split across the helper thread, and
//! ragged sequences through a bidirectional GRU and an LSTM at batch 40, whose samples the
//! recurrent layers deal into shares run side by side, and the W5 CNN at batch 32, whose second
//! convolution's product is split by rows. Counted by DHAT's allocator. (One test per file:
//! DHAT's profiler is process-wide.)

use shaped::kernels::threads::set_num_threads;
use shaped::prelude::*;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

shaped::model! {
    struct Mlp {
        input: [784],
        Dense(256, activation = relu),
        Dense(128, activation = relu),
        Dense(10, activation = softmax),
    }
}

shaped::model! {
    struct Tagger {
        input: [None, 8],
        Masking(0.0),
        Bidirectional(Gru(8, return_sequences = true)),
        Lstm(16),
        Dense(4, activation = softmax),
    }
}

shaped::model! {
    struct SmallCnn {
        input: [28, 28, 1],
        Conv2d(16, 3, activation = relu),
        MaxPool2d(2),
        Conv2d(32, 3, activation = relu),
        MaxPool2d(2),
        Flatten,
        Dense(10),
    }
}

/// The heap blocks `steps` allocates.
fn blocks_allocated_by(steps: impl FnOnce()) -> u64 {
    let before = dhat::HeapStats::get();
    steps();
    dhat::HeapStats::get().total_blocks - before.total_blocks
}

/// The bits of every weight of a model.
fn weight_bits(model: &impl Model) -> Vec<u32> {
    let mut bits = Vec::new();
    model.visit_weights(&mut |p| bits.extend(p.data.iter().map(|v| v.to_bits())));
    bits
}

/// The weights of the sequence model after `steps` steps over three ragged batches of 40 on
/// `threads` kernel threads, and the allocations after the first pass over the batches.
fn train_sequences(threads: usize, steps: usize) -> (Vec<u32>, u64) {
    set_num_threads(threads);
    let mut rng = shaped::data::SplitMix64::new(8);
    let batches: Vec<Vec<Vec<[f32; 8]>>> = (0..3)
        .map(|b| {
            (0..40)
                .map(|i| {
                    (0..2 + (i * 7 + b * 5) % 30)
                        .map(|_| std::array::from_fn(|_| rng.next_f32() + 0.1))
                        .collect()
                })
                .collect()
        })
        .collect();
    let y: Vec<u32> = (0..40).map(|i| i % 4).collect();
    let mut model =
        Tagger::new(1).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    for batch in &batches {
        model.train_on_batch(batch, &y).unwrap();
    }
    let allocated = blocks_allocated_by(|| {
        for step in 0..steps {
            model.train_on_batch(&batches[step % batches.len()], &y).unwrap();
        }
    });
    (weight_bits(model.model()), allocated)
}

/// The weights of the CNN after `steps` steps on `threads` kernel threads, and the
/// allocations of all steps after the first.
fn train_images(threads: usize, steps: usize) -> (Vec<u32>, u64) {
    set_num_threads(threads);
    let mut rng = shaped::data::SplitMix64::new(5);
    let x: Vec<[[[f32; 1]; 28]; 28]> =
        (0..32).map(|_| std::array::from_fn(|_| std::array::from_fn(|_| [rng.next_f32()]))).collect();
    let y: Vec<u32> = (0..32).map(|i| i % 10).collect();
    let loss = SparseCategoricalCrossentropy { from_logits: true, ..Default::default() };
    let mut model = SmallCnn::new(3).compile(Adam::default(), loss, []).unwrap();
    model.train_on_batch(&x, &y).unwrap();
    let allocated = blocks_allocated_by(|| {
        for _ in 1..steps {
            model.train_on_batch(&x, &y).unwrap();
        }
    });
    (weight_bits(model.model()), allocated)
}

/// The weights after `steps` steps on `threads` kernel threads, and the allocations of all
/// steps after the first.
fn train(threads: usize, steps: usize) -> (Vec<u32>, u64) {
    set_num_threads(threads);
    let x: Vec<[f32; 784]> =
        (0..64).map(|i| std::array::from_fn(|j| ((i * 31 + j * 7) % 97) as f32 / 97.0)).collect();
    let y: Vec<u32> = (0..64).map(|i| i % 10).collect();
    let mut model =
        Mlp::new(1).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    // The first step sizes every buffer and the optimiser's state (and starts the helper).
    model.train_on_batch(&x, &y).unwrap();
    let allocated = blocks_allocated_by(|| {
        for _ in 1..steps {
            model.train_on_batch(&x, &y).unwrap();
        }
    });
    (weight_bits(model.model()), allocated)
}

#[test]
fn two_threads_allocate_nothing_and_give_one_thread_s_weights() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let (two, allocated) = train(2, 20);
    assert_eq!(allocated, 0, "19 training steps on two threads allocated {allocated} blocks");
    let (one, _) = train(1, 20);
    assert!(one == two, "two threads gave other weights than one");
    let (two, allocated) = train_sequences(2, 12);
    assert_eq!(allocated, 0, "12 sequence training steps on two threads allocated {allocated} blocks");
    let (one, _) = train_sequences(1, 12);
    assert!(one == two, "two threads gave the sequence model other weights than one");
    let (two, allocated) = train_images(2, 8);
    assert_eq!(allocated, 0, "7 CNN training steps on two threads allocated {allocated} blocks");
    let (one, _) = train_images(1, 8);
    assert!(one == two, "two threads gave the CNN other weights than one");
}
