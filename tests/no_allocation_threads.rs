//! A training step on two kernel threads allocates nothing once a batch size has been seen,
//! and gives the same weights, bit for bit, as on one: the W2 MLP (784 → 256 → 128 → 10, Adam)
//! at batch 64, whose products are large enough to be split across the helper thread. Counted
//! by DHAT's allocator. (One test per file: DHAT's profiler is process-wide.)

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
    let before = dhat::HeapStats::get();
    for _ in 1..steps {
        model.train_on_batch(&x, &y).unwrap();
    }
    let after = dhat::HeapStats::get();
    let mut bits = Vec::new();
    model.model().visit_weights(&mut |p| bits.extend(p.data.iter().map(|v| v.to_bits())));
    (bits, after.total_blocks - before.total_blocks)
}

#[test]
fn two_threads_allocate_nothing_and_give_one_thread_s_weights() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let (two, allocated) = train(2, 20);
    assert_eq!(allocated, 0, "19 training steps on two threads allocated {allocated} blocks");
    let (one, _) = train(1, 20);
    assert!(one == two, "two threads gave other weights than one");
}
