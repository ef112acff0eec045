//! Training on images allocates nothing once the largest batch has been seen: 100 steps of a
//! CNN over fixed-size images (every image layer with weights, pooling and normalization), and
//! 100 steps over batches of images of different sizes (padded per batch, masked), counted by
//! DHAT's allocator. (One test per file: DHAT's profiler is process-wide.)

use shaped::prelude::*;
use shaped::tensor::Image;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

shaped::model! {
    struct Fixed {
        input: [12, 12, 2],
        Conv2d(4, 3, padding = same, activation = relu),
        BatchNorm,
        MaxPool2d(2),
        DepthwiseConv2d(3, activation = tanh),
        SeparableConv2d(6, 2, padding = same),
        Conv2dTranspose(3, 2, strides = 2),
        AvgPool2d(2),
        LayerNorm,
        Flatten,
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    struct AnySize {
        input: [None, None, 1],
        Conv2d(4, 3, strides = 2, padding = same, activation = relu),
        BatchNorm,
        ZeroPadding2d(1),
        MaxPool2d(2, padding = same),
        UpSampling2d(2),
        Cropping2d(1),
        Conv2d(5, 2),
        GlobalMaxPool2d,
        Dense(3, activation = softmax),
    }
}

/// Allocations (blocks, bytes) made by `steps`.
fn allocations(mut steps: impl FnMut()) -> (u64, u64) {
    let before = dhat::HeapStats::get();
    steps();
    let after = dhat::HeapStats::get();
    (after.total_blocks - before.total_blocks, after.total_bytes - before.total_bytes)
}

#[test]
fn image_training_steps_do_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut rng = shaped::data::SplitMix64::new(9);
    let y: Vec<u32> = (0..8).map(|i| i % 3).collect();

    let x: Vec<[[[f32; 2]; 12]; 12]> = (0..8)
        .map(|_| std::array::from_fn(|_| std::array::from_fn(|_| [rng.next_f32(), rng.next_f32()])))
        .collect();
    let mut fixed =
        Fixed::new(1).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy]).unwrap();
    fixed.train_on_batch(&x, &y).unwrap();
    let (blocks, bytes) = allocations(|| {
        for _ in 0..100 {
            fixed.train_on_batch(&x, &y).unwrap();
        }
    });
    assert_eq!(blocks, 0, "100 CNN training steps allocated {blocks} blocks ({bytes} bytes)");

    let batches: Vec<Vec<Image<1>>> = (0..4)
        .map(|b| {
            (0..8)
                .map(|i| {
                    let (h, w) = (5 + (i * 5 + b * 3) % 14, 6 + (i * 3 + b * 7) % 11);
                    Image::new(h, w, (0..h * w).map(|_| [rng.next_f32()]).collect()).unwrap()
                })
                .collect()
        })
        .collect();
    let mut any = AnySize::new(2)
        .compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])
        .unwrap();
    // The first pass over the batches sizes every buffer for the largest of them.
    for batch in &batches {
        any.train_on_batch(batch, &y).unwrap();
    }
    let (blocks, bytes) = allocations(|| {
        for step in 0..100 {
            any.train_on_batch(&batches[step % batches.len()], &y).unwrap();
        }
    });
    assert_eq!(
        blocks, 0,
        "100 training steps on images of any size allocated {blocks} blocks ({bytes} bytes)"
    );
}
