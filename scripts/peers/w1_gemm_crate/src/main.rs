//! W1 of the benchmark plan (BENCHMARKS.md) with the gemm crate: `C = A·B`, square `n × n`,
//! row-major, alpha 1, beta 0, n ∈ {64, 128, 256, 512, 1024}; GFLOP/s = 2n³/t; each sample
//! repeats the call for at least 30 ms; 3 warm-up calls, median of 9 samples. The first
//! argument is the thread count (1: `Parallelism::None`, else `Parallelism::Rayon(n)`).
//! Prints one JSON line, as shaped's bench does.

use std::time::{Duration, Instant};

fn gflops(n: usize, threads: usize) -> f64 {
    // The bench's inputs: small integers (exact sums), the same for every run.
    let a: Vec<f32> = (0..n * n).map(|i| (i % 7) as f32 - 3.0).collect();
    let b: Vec<f32> = (0..n * n).map(|i| (i % 5) as f32 - 2.0).collect();
    let mut c = vec![0.0f32; n * n];
    let parallelism = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    let mut call = || {
        // SAFETY: every pointer covers an n × n row-major matrix (row stride n, column
        // stride 1), `c` does not alias `a` or `b`, and beta = 0 with `read_dst = false`.
        unsafe {
            gemm::gemm(
                n,
                n,
                n,
                c.as_mut_ptr(),
                1,
                n as isize,
                false,
                a.as_ptr(),
                1,
                n as isize,
                b.as_ptr(),
                1,
                n as isize,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                parallelism,
            );
        }
    };
    for _ in 0..3 {
        call();
    }
    let mut samples: Vec<f64> = (0..9)
        .map(|_| {
            let (start, mut calls) = (Instant::now(), 0u32);
            while start.elapsed() < Duration::from_millis(30) {
                call();
                calls += 1;
            }
            start.elapsed().as_secs_f64() / f64::from(calls)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    std::hint::black_box(&c);
    2.0 * (n as f64).powi(3) / samples[4] / 1e9
}

fn main() {
    let threads: usize = std::env::args().nth(1).and_then(|t| t.parse().ok()).unwrap_or(1);
    let fields: Vec<String> =
        [64, 128, 256, 512, 1024].iter().map(|&n| format!("\"{n}\":{:.1}", gflops(n, threads))).collect();
    println!(
        "{{\"workload\":\"W1_sgemm\",\"impl\":\"gemm crate\",\"project\":{{{}}},\"threads\":{threads}}}",
        fields.join(",")
    );
}
