//! The benchmark workloads of `BENCHMARKS.md`, one JSON line each.
//!
//! ```text
//! cargo bench --bench workloads -- all     # every workload
//! cargo bench --bench workloads -- W1      # only W1 (names are case-insensitive, several allowed)
//! ```
//!
//! The kernels use `MATMUL_NUM_THREADS` (or `RAYON_NUM_THREADS`) threads, else every core;
//! each line ends with `"threads":n`. Pin as BENCHMARKS.md's runs do:
//! `MATMUL_NUM_THREADS=1 taskset -c 1 …` and `MATMUL_NUM_THREADS=2 taskset -c 0,1 …`.
//!
//! Arguments starting with `--` (cargo passes `--bench`) are ignored; no name at all means
//! `all`. To add a workload, write `fn wN_…()` that prints its line with [`print_line`] and add
//! it to [`WORKLOADS`]; [`time_per_call`] and `vec_f32` are shared (the generator is `shaped::data::SplitMix64`).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use shaped::data::SplitMix64;
use shaped::layers::{Activation, Backward, Conv, ConvOptions, Forward, Input, Mode, Stage};
use shaped::prelude::*;
use shaped::shape::Dims;
use shaped_runtime::kernels::gemm;

/// One workload: the name it is selected by on the command line, and the function that runs
/// it and prints its JSON line.
struct Workload {
    name: &'static str,
    run: fn(),
}

/// Every workload, in the order `all` runs them.
const WORKLOADS: &[Workload] = &[
    Workload { name: "W1", run: w1_sgemm },
    Workload { name: "W2", run: w2_mlp_train },
    Workload { name: "W3", run: w3_mlp_infer },
    Workload { name: "W4", run: w4_lstm_varlen },
    Workload { name: "W5", run: w5_cnn_train },
];

fn main() -> ExitCode {
    let names: Vec<String> = std::env::args().skip(1).filter(|arg| !arg.starts_with("--")).collect();
    let run_all = names.is_empty() || names.iter().any(|n| n.eq_ignore_ascii_case("all"));
    if !run_all {
        let unknown: Vec<&String> =
            names.iter().filter(|n| !WORKLOADS.iter().any(|w| w.name.eq_ignore_ascii_case(n))).collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
            eprintln!("unknown workload {unknown:?}; expected `all` or one of {known:?}");
            return ExitCode::from(2);
        }
    }
    for workload in WORKLOADS {
        if run_all || names.iter().any(|n| n.eq_ignore_ascii_case(workload.name)) {
            (workload.run)();
        }
    }
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// Median, minimum and maximum over the timed samples, in seconds per call.
#[derive(Clone, Copy, Debug)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
    n: usize,
}

impl Stats {
    /// `{"median": .., "min": .., "max": .., "n": ..}` after mapping each value through `f`
    /// (e.g. seconds → µs). Note that a decreasing `f` swaps min and max.
    fn json(&self, f: impl Fn(f64) -> f64) -> String {
        format!(
            "{{\"median\":{},\"min\":{},\"max\":{},\"n\":{}}}",
            round(f(self.median)),
            round(f(self.min)),
            round(f(self.max)),
            self.n
        )
    }
}

/// Rounds to three significant decimals for the JSON output.
fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Times `f`: `warmup` untimed calls, then `samples` samples, each repeating the call until at
/// least `min_sample` has passed; a sample's value is its elapsed time / its call count.
fn time_per_call(warmup: usize, samples: usize, min_sample: Duration, mut f: impl FnMut()) -> Stats {
    for _ in 0..warmup {
        f();
    }
    let mut per_call: Vec<f64> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            let mut calls = 0u64;
            loop {
                f();
                calls += 1;
                let elapsed = start.elapsed();
                if elapsed >= min_sample {
                    break elapsed.as_secs_f64() / calls as f64;
                }
            }
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    Stats {
        median: per_call[per_call.len() / 2],
        min: per_call[0],
        max: per_call[per_call.len() - 1],
        n: per_call.len(),
    }
}

/// Prints one JSON line: `{"workload":"<workload>",<fields>}`.
fn print_line(workload: &str, fields: &str) {
    let threads = shaped::kernels::threads::num_threads();
    println!("{{\"workload\":\"{workload}\",{fields},\"threads\":{threads}}}");
}

/// `len` values uniform in `[0, 1)` from `rng` (shaped's SplitMix64, the generator
/// BENCHMARKS.md specifies; W4 checks its stream against the plan's published lengths).
fn vec_f32(rng: &mut SplitMix64, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.next_f32()).collect()
}

// ---------------------------------------------------------------------------------------------
// Workloads

/// W1: `C = A·B`, square `n × n`, row-major, α = 1, β = 0, through `gemm::sgemm`;
/// GFLOP/s = 2n³ / t; 3 warm-up calls, median of 9 samples of at least 30 ms each.
fn w1_sgemm() {
    let mut rng = SplitMix64::new(1);
    let mut results = Vec::new();
    for n in [64usize, 128, 256, 512, 1024] {
        let a = vec_f32(&mut rng, n * n);
        let b = vec_f32(&mut rng, n * n);
        let mut c = vec![0.0f32; n * n];
        let s = n as isize;
        let stats = time_per_call(3, 9, Duration::from_millis(30), || {
            gemm::sgemm(n, n, n, 1.0, black_box(&a), s, 1, black_box(&b), s, 1, 0.0, black_box(&mut c), s, 1);
        });
        let gflops = 2.0 * (n as f64).powi(3) / stats.median / 1e9;
        results.push(format!("\"{n}\":{:.1}", gflops));
    }
    print_line("W1_sgemm", &format!("\"impl\":\"project\",\"project\":{{{}}}", results.join(",")));
}

shaped::model! {
    /// The MLP of W2 and W3: 784 → 256 relu → 128 relu → 10 softmax.
    struct Mlp {
        input: [784],
        Dense(256, activation = relu),
        Dense(128, activation = relu),
        Dense(10, activation = softmax),
    }
}

/// W3: inference of the W2 MLP (softmax included) on one batch of 1 and of 256, µs per call;
/// 3 warm-up calls, 7 samples of at least 50 ms each, median. Each call runs the whole forward
/// pass into the model's output buffer.
fn w3_mlp_infer() {
    let mut rng = SplitMix64::new(3);
    let mut model = Mlp::new(42);
    let mut fields = Vec::new();
    for batch in [1usize, 256] {
        let x = vec_f32(&mut rng, batch * 784);
        let dims = Dims::from_array([784]);
        let stats = time_per_call(3, 7, Duration::from_millis(50), || {
            let (y, _) = model
                .run(black_box(&x), dims, batch, Mode::Inference)
                .expect("the bench input fits the model");
            black_box(y);
        });
        fields.push(format!("\"batch_{batch}\":{{\"project\":{}}}", stats.json(|s| s * 1e6)));
    }
    print_line("W3_mlp_infer", &format!("\"framework\":\"project\",{}", fields.join(",")));
}

/// W2: one training step of the MLP (categorical crossentropy, Adam 1e-3, ε 1e-7) at batch 128;
/// step i uses rows [128i, 128i + 128) of 25600 × 784 uniform inputs, no shuffling; 20 warm-up
/// steps, then 5 runs of 200 steps; ms/step = median run / 200. Each step returns its loss.
///
/// Also reports the time of the eight gemm calls a step makes (3 forward, 3 weight gradients,
/// 2 input gradients), timed alone on the same shapes, and the step's overhead over them.
fn w2_mlp_train() {
    const BATCH: usize = 128;
    let mut rng = SplitMix64::new(2);
    let x: Vec<[f32; 784]> = (0..25600).map(|_| std::array::from_fn(|_| rng.next_f32())).collect();
    let y: Vec<[f32; 10]> = (0..25600)
        .map(|_| {
            let mut row = [0.0; 10];
            row[(rng.next_u64() % 10) as usize] = 1.0;
            row
        })
        .collect();
    let mut model = Mlp::new(42)
        .compile(Adam::default(), CategoricalCrossentropy::default(), [])
        .expect("Adam's defaults are valid");
    let mut step = 0usize;
    let mut train_step = || {
        let rows = (step % 200) * BATCH..(step % 200 + 1) * BATCH;
        step += 1;
        black_box(model.train_on_batch(&x[rows.clone()], &y[rows]).expect("the bench data is valid"))
    };
    for _ in 0..20 {
        train_step();
    }
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..200 {
                train_step();
            }
            start.elapsed().as_secs_f64() / 200.0 * 1e3
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    let stats = Stats { median: runs[2], min: runs[0], max: runs[4], n: 5 };

    // The step's gemm calls alone: forward x·K, weight gradients xᵀ·dz, input gradients dz·Kᵀ.
    let dims = [(784usize, 256usize), (256, 128), (128, 10)];
    // Per layer: x, K, z (also standing in for dz), dK, dx.
    type LayerBuffers = (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>);
    let bufs: Vec<LayerBuffers> = dims
        .iter()
        .map(|&(i, o)| {
            (
                vec_f32(&mut rng, BATCH * i),
                vec_f32(&mut rng, i * o),
                vec![0.0; BATCH * o],
                vec![0.0; i * o],
                vec![0.0; BATCH * i],
            )
        })
        .collect();
    let mut scratch = Vec::new();
    let mut bufs = bufs;
    let gemms = time_per_call(3, 9, Duration::from_millis(30), || {
        for (l, &(i, o)) in dims.iter().enumerate() {
            let (x, k, z, dk, dx) = &mut bufs[l];
            gemm::matmul(BATCH, i, o, x, k, z, false);
            gemm::matmul_at_b(i, BATCH, o, x, z, dk, false);
            if l > 0 {
                gemm::matmul_a_bt_with(BATCH, o, i, z, k, dx, false, &mut scratch);
            }
        }
        black_box(&bufs);
    });
    let gemm_ms = gemms.median * 1e3;
    print_line(
        "W2_mlp_train",
        &format!(
            "\"framework\":\"project\",\"project_ms_per_step\":{},\"gemm_ms_per_step\":{},\"overhead_over_gemm\":{}",
            stats.json(|ms| ms),
            round(gemm_ms),
            round(stats.median / gemm_ms - 1.0)
        ),
    );
}

shaped::model! {
    /// W4's model: LSTM(64) with Keras defaults over 32 features, then a softmax over 10 classes.
    struct Speakers {
        input: [None, 32],
        Lstm(64),
        Dense(10, activation = softmax),
    }
}

/// W4: one training epoch (32 steps of 32 sequences, in order, each batch padded to its own
/// longest sequence and masked) of LSTM(64) → Dense(10, softmax), sparse crossentropy, Adam;
/// sequence i has `10 + s_i % 141` steps of 32 N(0, 1) features, s_i the SplitMix64(1234)
/// stream. One warm-up epoch, then the median of 3; and the same with bucketing by length.
fn w4_lstm_varlen() {
    let mut lengths = SplitMix64::new(1234);
    let lens: Vec<usize> = (0..1024).map(|_| 10 + (lengths.next_u64() % 141) as usize).collect();
    assert_eq!(&lens[..8], &[17, 126, 50, 34, 148, 12, 35, 150], "BENCHMARKS.md's check of the lengths");
    assert_eq!(lens.iter().sum::<usize>(), 81486, "BENCHMARKS.md's check of the total");
    let mut rng = SplitMix64::new(4);
    let mut normal = || {
        // Box-Muller from two uniforms in (0, 1].
        let (u, v) = (1.0 - rng.next_f32() as f64, rng.next_f32() as f64);
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    };
    let x: Vec<Vec<[f32; 32]>> =
        lens.iter().map(|&t| (0..t).map(|_| std::array::from_fn(|_| normal())).collect()).collect();
    let y: Vec<u32> = (0..1024).map(|i| (i * 7 % 10) as u32).collect();

    let epoch_seconds = |bucketed: bool| {
        let mut model = Speakers::new(42)
            .compile(Adam::default(), SparseCategoricalCrossentropy::default(), [])
            .expect("Adam's defaults are valid");
        let mut epoch = || {
            let options = FitOptions {
                epochs: 1,
                batch_size: 32,
                shuffle: false,
                bucket_by_length: bucketed,
                verbose: Verbose::Silent,
                ..Default::default()
            };
            let start = Instant::now();
            black_box(model.fit(&x, &y, options).expect("the bench data is valid"));
            start.elapsed().as_secs_f64()
        };
        let first = epoch();
        let mut times = [epoch(), epoch(), epoch()];
        times.sort_by(f64::total_cmp);
        (first, times, model.padded_fraction().unwrap_or(0.0))
    };
    let (first, plain, padded) = epoch_seconds(false);
    let (_, bucketed, padded_bucketed) = epoch_seconds(true);
    let stats = |t: [f64; 3]| Stats { median: t[1], min: t[0], max: t[2], n: 3 };
    print_line(
        "W4_lstm_varlen",
        &format!(
            "\"framework\":\"project\",\"project_s_per_epoch\":{},\"project_first_epoch_s\":{},\"project_bucketed_s_per_epoch\":{},\"padded_fraction\":{},\"padded_fraction_bucketed\":{}",
            stats(plain).json(|s| s),
            round(first),
            stats(bucketed).json(|s| s),
            round(padded),
            round(padded_bucketed)
        ),
    );
}

shaped::model! {
    /// W5's model: two 3×3 convolutions with relu, each followed by 2×2 max pooling, then a
    /// dense layer of 10 logits.
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

/// W5: the small CNN's training step, batch 64, sparse crossentropy from logits, Adam(1e-3,
/// ε 1e-7); X ~ U[0, 1) of 6400 images, step i uses images [64i, 64i + 64) (100 batches, in
/// order). 10 warm-up steps, then the median of 5 runs of 100 steps. Also reports each
/// convolution's forward and backward alone against the gemm calls it makes (forward, kernel
/// gradient, input gradient), as a ratio.
fn w5_cnn_train() {
    const BATCH: usize = 64;
    let mut rng = SplitMix64::new(5);
    let x: Vec<[[[f32; 1]; 28]; 28]> =
        (0..6400).map(|_| std::array::from_fn(|_| std::array::from_fn(|_| [rng.next_f32()]))).collect();
    let y: Vec<u32> = (0..6400).map(|_| (rng.next_u64() % 10) as u32).collect();
    let loss = SparseCategoricalCrossentropy { from_logits: true, ..Default::default() };
    let mut model = SmallCnn::new(42).compile(Adam::default(), loss, []).expect("Adam's defaults are valid");
    let mut step = 0usize;
    let mut train_step = || {
        let rows = (step % 100) * BATCH..(step % 100 + 1) * BATCH;
        step += 1;
        black_box(model.train_on_batch(&x[rows.clone()], &y[rows]).expect("the bench data is valid"))
    };
    for _ in 0..10 {
        train_step();
    }
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..100 {
                train_step();
            }
            start.elapsed().as_secs_f64() / 100.0 * 1e3
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    let stats = Stats { median: runs[2], min: runs[0], max: runs[4], n: 5 };

    // Each convolution of the model alone (forward with relu, backward; the first one needs no
    // input gradient), against the gemm calls it makes as im2col lays them out: rows = batch ·
    // output pixels, inner = kh · kw · in, cols = filters; forward cols·K, kernel gradient
    // colsᵀ·dY, input gradient dY·Kᵀ.
    let convs = [(28usize, 1usize, 16usize, false), (13, 16, 32, true)];
    let mut conv_ms = Vec::new();
    let mut conv_gemm_ms = Vec::new();
    for &(side, channels, filters, input_grad) in &convs {
        let out_side = side - 2;
        let window = shaped::rules::Window {
            axes: 2,
            size: [3, 3],
            strides: [1, 1],
            dilation: [1, 1],
            padding: shaped::rules::Padding::Valid,
        };
        let options =
            ConvOptions { window, filters, groups: 1, activation: Activation::Relu, use_bias: true };
        let mut conv = Conv::new(channels, options, &mut rng);
        let dims = Dims::new(&[side, side, channels]).expect("small dims");
        let x = vec_f32(&mut rng, BATCH * side * side * channels);
        let mut y = vec![0.0; BATCH * out_side * out_side * filters];
        let dy = vec_f32(&mut rng, y.len());
        let mut dx = vec![0.0; x.len()];
        let layer = time_per_call(3, 9, Duration::from_millis(30), || {
            let inputs = [Input::new(&x, dims)];
            conv.forward(Forward { inputs: &inputs, batch: BATCH, mode: Mode::Training }, &mut y)
                .expect("fits");
            let args = Backward {
                inputs: &inputs,
                batch: BATCH,
                output: &y,
                grad_output: &dy,
                dy_is_preactivation: false,
            };
            let mut grads = [input_grad.then_some(&mut dx[..])];
            conv.backward(args, &mut grads).expect("fits");
            black_box((&y, &dx));
        });
        conv_ms.push(layer.median * 1e3);
        let (rows, inner, cols) = (BATCH * out_side * out_side, 9 * channels, filters);
        let a = vec_f32(&mut rng, rows * inner);
        let k = vec_f32(&mut rng, inner * cols);
        let mut z = vec![0.0; rows * cols];
        let mut dk = vec![0.0; inner * cols];
        let mut da = vec![0.0; rows * inner];
        let k_t = vec_f32(&mut rng, cols * inner);
        // The calls of the convolution's engine (layers/conv/grouped.rs), Kᵀ made once a step.
        let t = time_per_call(3, 9, Duration::from_millis(30), || {
            gemm::matmul(rows, inner, cols, &a, &k, &mut z, false);
            gemm::matmul_at_b_strided(inner, rows, cols, &a, inner, &z, cols, &mut dk, cols, false);
            if input_grad {
                gemm::matmul(rows, cols, inner, &z, &k_t, &mut da, false);
            }
            black_box((&z, &dk, &da));
        });
        conv_gemm_ms.push(t.median * 1e3);
    }
    print_line(
        "W5_cnn_train",
        &format!(
            "\"framework\":\"project\",\"project_ms_per_step\":{},\"conv_ms\":[{},{}],\"conv_gemm_ms\":[{},{}],\"conv_over_gemm\":[{},{}]",
            stats.json(|ms| ms),
            round(conv_ms[0]),
            round(conv_ms[1]),
            round(conv_gemm_ms[0]),
            round(conv_gemm_ms[1]),
            round(conv_ms[0] / conv_gemm_ms[0]),
            round(conv_ms[1] / conv_gemm_ms[1])
        ),
    );
}
