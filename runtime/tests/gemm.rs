//! Integration tests of `shaped_runtime::kernels::gemm`, in the style of matrixmultiply's own
//! harness (`tests/sgemm.rs` + `testdefs/testdefs.rs`): identity products, every size up to
//! 12, odd sizes, arbitrary strides, α/β scaling computed two ways, NaN-filled output when
//! β = 0, and every implementation checked against the naive `gemm_reference`.
//!
//! Each check runs once per implementation: `Kernel::Auto`, `Kernel::Packed` (matrixmultiply)
//! and `Kernel::SmallM(isa)` for every instruction set this CPU has. Missing instruction sets
//! print "skipping" and pass, as in matrixmultiply.
//!
//! Environment:
//! - `SHAPED_FAST_TEST` (set at compile time or at run time, any value) shrinks the size
//!   sweeps to the small cases, for Miri and slow CI runners: `SHAPED_FAST_TEST=1 cargo test
//!   -p shaped-runtime --test gemm`.
//! - `SHAPED_ENSURE_ISA=avx512|avx2` makes the run fail if that small-m build could not be
//!   tested on this machine (as matrixmultiply's `MMTEST_ENSUREFEATURE`), so CI notices when it
//!   silently ran on a narrower CPU.
//!
//! Most data are small integers, so every product and partial sum is exact in f32 whatever the
//! summation order, and results are compared with a tight tolerance: a wrong index shows up at
//! once instead of hiding in rounding noise. `random_floats_against_reference` covers
//! non-integer data with a tolerance for f32 accumulation.

use shaped_runtime::kernels::gemm::{
    choose_kernel, matmul, matmul_a_bt, matmul_a_bt_with, matmul_at_b, sgemm, sgemm_with, Isa, Kernel,
};
use shaped_runtime::kernels::reference::gemm_reference;
use shaped_runtime::testing::assert_close;

/// Tolerance for integer-valued data: the results are exact, this only absorbs nothing.
const EXACT: f32 = 1e-6;

fn fast_test() -> bool {
    option_env!("SHAPED_FAST_TEST").is_some() || std::env::var_os("SHAPED_FAST_TEST").is_some()
}

/// Every implementation to test on this machine.
fn kernels() -> Vec<Kernel> {
    let mut kernels = vec![Kernel::Auto, Kernel::Packed];
    for isa in Isa::ALL {
        if isa.is_available() {
            kernels.push(Kernel::SmallM(isa));
        } else {
            println!("skipping the {isa:?} small-m kernel: this cpu lacks it");
        }
    }
    kernels
}

/// Whether `kernel` accepts a `B` with column stride `csb` and `n` columns.
fn supports(kernel: Kernel, csb: isize, n: usize) -> bool {
    !matches!(kernel, Kernel::SmallM(_)) || csb == 1 || n == 1
}

/// SplitMix64, the generator BENCHMARKS.md uses; deterministic test data.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An integer in `-4 ..= 4`, as f32.
    fn small_int(&mut self) -> f32 {
        (self.next_u64() % 9) as f32 - 4.0
    }

    /// Uniform in `[-1, 1)`.
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn ints(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.small_int()).collect()
    }
}

/// How a matrix is laid out in its slice.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// `(rs, cs) = (cols, 1)`.
    RowMajor,
    /// `(rs, cs) = (1, rows)`.
    ColMajor,
    /// Row-major with 3 unused elements after each row.
    PaddedRows,
    /// Column-major with 2 unused elements after each column.
    PaddedCols,
    /// Every other element of a row-major matrix twice as wide: `(rs, cs) = (2·cols + 1, 2)`.
    Strided,
}

const LAYOUTS: [Layout; 5] =
    [Layout::RowMajor, Layout::ColMajor, Layout::PaddedRows, Layout::PaddedCols, Layout::Strided];

impl Layout {
    /// `(rs, cs, slice length)` for a `rows × cols` matrix.
    fn strides(self, rows: usize, cols: usize) -> (isize, isize, usize) {
        let (rs, cs) = match self {
            Layout::RowMajor => (cols, 1),
            Layout::ColMajor => (1, rows),
            Layout::PaddedRows => (cols + 3, 1),
            Layout::PaddedCols => (1, rows + 2),
            Layout::Strided => (2 * cols + 1, 2),
        };
        let len = if rows == 0 || cols == 0 { 0 } else { (rows - 1) * rs + (cols - 1) * cs + 1 };
        (rs as isize, cs as isize, len)
    }
}

/// A strided matrix and its slice.
struct Mat {
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
    data: Vec<f32>,
}

impl Mat {
    /// Elements from `f`; slots outside the matrix hold `fill`.
    fn new(
        rows: usize,
        cols: usize,
        layout: Layout,
        fill: f32,
        mut f: impl FnMut(usize, usize) -> f32,
    ) -> Mat {
        let (rs, cs, len) = layout.strides(rows, cols);
        let mut data = vec![fill; len];
        for i in 0..rows {
            for j in 0..cols {
                data[i * rs as usize + j * cs as usize] = f(i, j);
            }
        }
        Mat { rows, cols, rs, cs, data }
    }

    fn random(rows: usize, cols: usize, layout: Layout, rng: &mut Rng) -> Mat {
        Mat::new(rows, cols, layout, f32::NAN, |_, _| rng.small_int())
    }

    fn identity(n: usize, layout: Layout) -> Mat {
        Mat::new(n, n, layout, f32::NAN, |i, j| if i == j { 1.0 } else { 0.0 })
    }

    fn get(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs as usize + j * self.cs as usize]
    }

    /// Row-major copy of the matrix elements only.
    fn to_row_major(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for i in 0..self.rows {
            for j in 0..self.cols {
                out.push(self.get(i, j));
            }
        }
        out
    }
}

/// `C ← α A B + β C` with `kernel`.
fn run(kernel: Kernel, alpha: f32, a: &Mat, b: &Mat, beta: f32, c: &mut Mat) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    sgemm_with(
        kernel,
        m,
        k,
        n,
        alpha,
        &a.data,
        a.rs,
        a.cs,
        &b.data,
        b.rs,
        b.cs,
        beta,
        &mut c.data,
        c.rs,
        c.cs,
    );
}

/// `C ← α A B + β C` with the reference.
fn run_reference(alpha: f32, a: &Mat, b: &Mat, beta: f32, c: &mut Mat) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    gemm_reference(m, k, n, alpha, &a.data, a.rs, a.cs, &b.data, b.rs, b.cs, beta, &mut c.data, c.rs, c.cs);
}

/// Checks `kernel` against the reference for one shape and layout triple, including that the
/// slots of `c` outside `C` are left alone. With `beta == 0`, `C` starts as NaN.
#[allow(clippy::too_many_arguments)]
#[track_caller]
fn check_against_reference(
    kernel: Kernel,
    (m, k, n): (usize, usize, usize),
    (la, lb, lc): (Layout, Layout, Layout),
    alpha: f32,
    beta: f32,
    rng: &mut Rng,
) {
    let a = Mat::random(m, k, la, rng);
    let b = Mat::random(k, n, lb, rng);
    if !supports(kernel, b.cs, n) {
        return;
    }
    let sentinel = -7777.0;
    let mut c = Mat::new(m, n, lc, sentinel, |_, _| if beta == 0.0 { f32::NAN } else { rng.small_int() });
    let mut expected = Mat { data: c.data.clone(), ..c };
    run(kernel, alpha, &a, &b, beta, &mut c);
    run_reference(alpha, &a, &b, beta, &mut expected);
    if let Some(msg) = shaped_runtime::testing::first_difference(&c.data, &expected.data, EXACT) {
        panic!(
            "{kernel:?} m={m} k={k} n={n} layouts a={la:?} b={lb:?} c={lc:?} alpha={alpha} \
             beta={beta}: {msg}"
        );
    }
}

#[test]
fn small_m_is_chosen_for_batch_one() {
    let isa = Isa::detect();
    assert_eq!(choose_kernel(1, 784, 256, 1), Kernel::SmallM(isa));
    assert_eq!(choose_kernel(1, 784, 256, 2), Kernel::Packed);
    assert_eq!(choose_kernel(4096, 4096, 4096, 1), Kernel::Packed);
    assert!(Isa::Portable.is_available());
}

#[test]
fn ensure_isa_tested() {
    let Ok(name) = std::env::var("SHAPED_ENSURE_ISA") else {
        return;
    };
    let isa = match name.as_str() {
        "avx512" => Isa::Avx512,
        "avx2" => Isa::Avx2Fma,
        "portable" => Isa::Portable,
        other => panic!("SHAPED_ENSURE_ISA must be avx512, avx2 or portable, got {other:?}"),
    };
    assert!(isa.is_available(), "SHAPED_ENSURE_ISA={name}, but this cpu cannot run the {isa:?} kernel");
}

/// `A · I == A` for an `m × n` matrix `A`, with `C` row- and column-major.
fn mul_with_id(kernel: Kernel, m: usize, n: usize, rng: &mut Rng) {
    for lc in [Layout::RowMajor, Layout::ColMajor] {
        let a = Mat::random(m, n, Layout::RowMajor, rng);
        let id = Mat::identity(n, Layout::RowMajor);
        let mut c = Mat::new(m, n, lc, 0.0, |_, _| f32::NAN);
        run(kernel, 1.0, &a, &id, 0.0, &mut c);
        assert_eq!(c.to_row_major(), a.to_row_major(), "{kernel:?}: A·I != A, m={m} n={n} c {lc:?}");
    }
}

/// `I · B == B` for a `k × n` matrix `B`, with `C` row- and column-major.
fn mul_id_with(kernel: Kernel, k: usize, n: usize, rng: &mut Rng) {
    for lc in [Layout::RowMajor, Layout::ColMajor] {
        let id = Mat::identity(k, Layout::RowMajor);
        let b = Mat::random(k, n, Layout::RowMajor, rng);
        let mut c = Mat::new(k, n, lc, 0.0, |_, _| f32::NAN);
        run(kernel, 1.0, &id, &b, 0.0, &mut c);
        assert_eq!(c.to_row_major(), b.to_row_major(), "{kernel:?}: I·B != B, k={k} n={n} c {lc:?}");
    }
}

#[test]
fn identity_products() {
    let mut rng = Rng(1);
    for kernel in kernels() {
        for (m, n) in [(4, 4), (8, 8), (32, 32)] {
            mul_with_id(kernel, m, n, &mut rng);
            mul_id_with(kernel, m, n, &mut rng);
        }
        for i in 0..12 {
            for j in 0..12 {
                mul_with_id(kernel, i, j, &mut rng);
                mul_id_with(kernel, i, j, &mut rng);
            }
        }
        if fast_test() {
            continue;
        }
        for (m, n) in [(128, 128), (17, 128), (17, 257), (24, 512), (266, 265)] {
            mul_with_id(kernel, m, n, &mut rng);
        }
        mul_id_with(kernel, 266, 265, &mut rng);
        mul_id_with(kernel, 17, 257, &mut rng);
    }
}

#[test]
fn all_sizes_up_to_12_against_reference() {
    let mut rng = Rng(2);
    let max = if fast_test() { 5 } else { 12 };
    let row = (Layout::RowMajor, Layout::RowMajor, Layout::RowMajor);
    for kernel in kernels() {
        for m in 0..=max {
            for k in 0..=max {
                for n in 0..=max {
                    check_against_reference(kernel, (m, k, n), row, 1.0, 0.0, &mut rng);
                }
            }
        }
    }
}

#[test]
fn odd_sizes_against_reference() {
    let mut rng = Rng(3);
    let row = (Layout::RowMajor, Layout::RowMajor, Layout::RowMajor);
    let mut shapes = vec![(1, 17, 33), (5, 31, 47), (4, 9, 200)];
    if !fast_test() {
        shapes.extend([
            (17, 257, 19),
            (1, 257, 17),
            (3, 784, 256),
            (7, 100, 513),
            (33, 65, 129),
            (266, 265, 23),
            (23, 265, 266),
            (1, 1000, 1),
        ]);
    }
    for kernel in kernels() {
        for &shape in &shapes {
            check_against_reference(kernel, shape, row, 1.0, 0.0, &mut rng);
            check_against_reference(kernel, shape, row, 0.5, 2.0, &mut rng);
        }
    }
}

#[test]
fn every_layout_against_reference() {
    let mut rng = Rng(4);
    let mut shapes = vec![(3, 5, 7), (8, 0, 10), (1, 4, 17)];
    if !fast_test() {
        shapes.extend([(8, 12, 16), (19, 20, 33), (5, 37, 70), (36, 36, 36)]);
    }
    for kernel in kernels() {
        for &shape in &shapes {
            for la in LAYOUTS {
                for lb in LAYOUTS {
                    for lc in LAYOUTS {
                        check_against_reference(kernel, shape, (la, lb, lc), 1.0, 0.0, &mut rng);
                        check_against_reference(kernel, shape, (la, lb, lc), -1.5, 0.25, &mut rng);
                    }
                }
            }
        }
    }
}

/// A single column of `B` with a non-unit column stride still takes the small-m kernel.
#[test]
fn one_column_b_with_any_stride() {
    let mut rng = Rng(5);
    let layouts = (Layout::RowMajor, Layout::Strided, Layout::Strided);
    for kernel in kernels() {
        for k in [0, 1, 7, 40] {
            check_against_reference(kernel, (3, k, 1), layouts, 1.0, 0.0, &mut rng);
            check_against_reference(kernel, (3, k, 1), layouts, 2.0, -1.0, &mut rng);
        }
    }
}

/// matrixmultiply's `test_scale`: `α A B + β C` directly, and as `A B` computed with
/// `α = 1, β = 0`, then scaled and added by hand. Both must agree.
fn scale_two_ways(kernel: Kernel, m: usize, k: usize, n: usize, rng: &mut Rng) {
    let (alpha, beta) = (0.75, -2.5);
    let a = Mat::random(m, k, Layout::RowMajor, rng);
    let b = Mat::random(k, n, Layout::RowMajor, rng);
    let c0 = Mat::random(m, n, Layout::RowMajor, rng);

    let mut direct = Mat { data: c0.data.clone(), ..c0 };
    run(kernel, alpha, &a, &b, beta, &mut direct);

    let mut product = Mat::new(m, n, Layout::RowMajor, 0.0, |_, _| f32::NAN);
    run(kernel, 1.0, &a, &b, 0.0, &mut product);
    let by_hand: Vec<f32> =
        product.data.iter().zip(&c0.data).map(|(&ab, &c)| alpha * ab + beta * c).collect();

    if let Some(msg) = shaped_runtime::testing::first_difference(&direct.data, &by_hand, EXACT) {
        panic!("{kernel:?} m={m} k={k} n={n}: alpha/beta two ways: {msg}");
    }
}

#[test]
fn alpha_beta_scaling_two_ways() {
    let mut rng = Rng(6);
    let mut shapes = vec![(0, 4, 4), (4, 0, 4), (4, 4, 0), (4, 4, 4), (19, 20, 16)];
    if !fast_test() {
        shapes.push((150, 140, 128));
    }
    for kernel in kernels() {
        for &(m, k, n) in &shapes {
            scale_two_ways(kernel, m, k, n, &mut rng);
        }
    }
}

#[test]
fn beta_zero_overwrites_nan() {
    let mut rng = Rng(7);
    for kernel in kernels() {
        for (m, k, n) in [(1, 3, 5), (4, 16, 16), (9, 0, 17), (33, 10, 70)] {
            let a = Mat::random(m, k, Layout::RowMajor, &mut rng);
            let b = Mat::random(k, n, Layout::RowMajor, &mut rng);
            for lc in LAYOUTS {
                let mut c = Mat::new(m, n, lc, 123.0, |_, _| f32::NAN);
                run(kernel, 1.0, &a, &b, 0.0, &mut c);
                let out = c.to_row_major();
                assert!(
                    out.iter().all(|x| !x.is_nan()),
                    "{kernel:?} m={m} k={k} n={n} c {lc:?}: NaN survived beta = 0: {out:?}"
                );
                if k == 0 {
                    assert!(out.iter().all(|&x| x == 0.0), "k = 0 must give zeros");
                }
                let (rs, cs) = (c.rs as usize, c.cs as usize);
                for (idx, &x) in c.data.iter().enumerate() {
                    let inside = (0..m).any(|i| (0..n).any(|j| i * rs + j * cs == idx));
                    if !inside {
                        assert_eq!(x, 123.0, "{kernel:?}: padding slot {idx} of c was written");
                    }
                }
            }
        }
    }
}

#[test]
fn random_floats_against_reference() {
    let mut rng = Rng(8);
    let mut shapes = vec![(1, 50, 30), (4, 33, 17)];
    if !fast_test() {
        shapes.extend([(1, 784, 256), (3, 256, 128), (32, 128, 10), (64, 300, 200)]);
    }
    for kernel in kernels() {
        for &(m, k, n) in &shapes {
            let a: Vec<f32> = (0..m * k).map(|_| rng.unit()).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.unit()).collect();
            let mut c = vec![f32::NAN; m * n];
            let mut expected = vec![0.0; m * n];
            let (k_, n_) = (k as isize, n as isize);
            sgemm_with(kernel, m, k, n, 1.0, &a, k_, 1, &b, n_, 1, 0.0, &mut c, n_, 1);
            gemm_reference(m, k, n, 1.0, &a, k_, 1, &b, n_, 1, 0.0, &mut expected, n_, 1);
            assert_close(&c, &expected, 1e-4);
        }
    }
}

#[test]
fn every_thread_count_gives_the_same_bits() {
    use shaped_runtime::kernels::threads::set_num_threads;
    let mut rng = Rng(9);
    // Large enough to be split across threads; odd sizes leave uneven blocks.
    let mut shapes = vec![(128, 784, 256), (97, 301, 259)];
    if !fast_test() {
        shapes.extend([(784, 128, 256), (256, 256, 784), (600, 600, 600), (7744, 144, 32), (1, 784, 256)]);
    }
    for kernel in kernels() {
        for &(m, k, n) in &shapes {
            let a: Vec<f32> = (0..m * k).map(|_| rng.unit() - 0.5).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.unit() - 0.5).collect();
            let (k_, n_) = (k as isize, n as isize);
            let product = |threads: usize| {
                set_num_threads(threads);
                let mut c: Vec<f32> = (0..m * n).map(|i| (i % 7) as f32).collect();
                sgemm_with(kernel, m, k, n, 1.0, &a, k_, 1, &b, n_, 1, 0.5, &mut c, n_, 1);
                c.iter().map(|v| v.to_bits()).collect::<Vec<u32>>()
            };
            let one = product(1);
            for threads in [2, 3] {
                assert!(product(threads) == one, "{kernel:?} {m}×{k}×{n}: {threads} threads differ from one");
            }
        }
    }
    set_num_threads(1);
}

/// Row-major `rows × cols` matrix of small integers.
fn ints(rows: usize, cols: usize, rng: &mut Rng) -> Vec<f32> {
    rng.ints(rows * cols)
}

/// Row-major transpose of a row-major `rows × cols` matrix.
fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; x.len()];
    for i in 0..rows {
        for j in 0..cols {
            t[j * rows + i] = x[i * cols + j];
        }
    }
    t
}

/// Reference for a row-major `C (m×n) [+]= A (m×k) · B (k×n)`.
fn reference_rm(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], acc: bool) {
    let beta = if acc { 1.0 } else { 0.0 };
    let (k_, n_) = (k as isize, n as isize);
    gemm_reference(m, k, n, 1.0, a, k_, 1, b, n_, 1, beta, c, n_, 1);
}

fn contiguous_shapes() -> Vec<(usize, usize, usize)> {
    let mut shapes = vec![(0, 3, 4), (3, 0, 4), (1, 1, 1), (1, 7, 5), (2, 9, 33), (5, 8, 3)];
    if !fast_test() {
        shapes.extend([(1, 784, 256), (4, 256, 128), (40, 128, 10), (128, 64, 100)]);
    }
    shapes
}

#[test]
fn matmul_against_reference() {
    let mut rng = Rng(9);
    for (m, k, n) in contiguous_shapes() {
        let a = ints(m, k, &mut rng);
        let b = ints(k, n, &mut rng);
        for accumulate in [false, true] {
            let start = if accumulate { ints(m, n, &mut rng) } else { vec![f32::NAN; m * n] };
            let mut c = start.clone();
            let mut expected = start;
            matmul(m, k, n, &a, &b, &mut c, accumulate);
            reference_rm(m, k, n, &a, &b, &mut expected, accumulate);
            assert_close(&c, &expected, EXACT);
        }
    }
}

#[test]
fn matmul_at_b_against_reference() {
    let mut rng = Rng(10);
    for (m, k, n) in contiguous_shapes() {
        // `a` stores A as k × m; the product uses Aᵀ (m × k).
        let a = ints(k, m, &mut rng);
        let b = ints(k, n, &mut rng);
        let at = transpose(&a, k, m);
        for accumulate in [false, true] {
            let start = if accumulate { ints(m, n, &mut rng) } else { vec![f32::NAN; m * n] };
            let mut c = start.clone();
            let mut expected = start;
            matmul_at_b(m, k, n, &a, &b, &mut c, accumulate);
            reference_rm(m, k, n, &at, &b, &mut expected, accumulate);
            assert_close(&c, &expected, EXACT);
        }
    }
}

#[test]
fn matmul_a_bt_against_reference() {
    let mut rng = Rng(11);
    let mut scratch = Vec::new();
    for (m, k, n) in contiguous_shapes() {
        // `b` stores B as n × k; the product uses Bᵀ (k × n).
        let a = ints(m, k, &mut rng);
        let b = ints(n, k, &mut rng);
        let bt = transpose(&b, n, k);
        for accumulate in [false, true] {
            let start = if accumulate { ints(m, n, &mut rng) } else { vec![f32::NAN; m * n] };
            let mut c = start.clone();
            let mut expected = start;
            matmul_a_bt(m, k, n, &a, &b, &mut c, accumulate);
            reference_rm(m, k, n, &a, &bt, &mut expected, accumulate);
            assert_close(&c, &expected, EXACT);
            // The transposing variant, with a scratch reused (and sometimes too small) across shapes.
            let mut c2 = if accumulate { c.clone() } else { vec![f32::NAN; m * n] };
            if accumulate {
                // c now holds start + A·Bᵀ; accumulate once more and compare with 2·A·Bᵀ + start.
                let mut twice = expected.clone();
                reference_rm(m, k, n, &a, &bt, &mut twice, true);
                matmul_a_bt_with(m, k, n, &a, &b, &mut c2, true, &mut scratch);
                assert_close(&c2, &twice, EXACT);
            } else {
                matmul_a_bt_with(m, k, n, &a, &b, &mut c2, false, &mut scratch);
                assert_close(&c2, &expected, EXACT);
            }
        }
    }
}

/// The Dense-layer identities the conveniences exist for, on one batch:
/// `y = x·K`, `dK = xᵀ·dy`, `dx = dy·Kᵀ`, checked elementwise by their sums.
#[test]
fn dense_layer_identities() {
    let mut rng = Rng(12);
    let (batch, inp, units) = (3, 5, 4);
    let x = ints(batch, inp, &mut rng);
    let kernel = ints(inp, units, &mut rng);
    let dy = ints(batch, units, &mut rng);

    let mut y = vec![0.0; batch * units];
    matmul(batch, inp, units, &x, &kernel, &mut y, false);
    let mut dk = vec![0.0; inp * units];
    matmul_at_b(inp, batch, units, &x, &dy, &mut dk, false);
    let mut dx = vec![0.0; batch * inp];
    matmul_a_bt(batch, units, inp, &dy, &kernel, &mut dx, false);

    for b in 0..batch {
        for u in 0..units {
            let sum: f32 = (0..inp).map(|i| x[b * inp + i] * kernel[i * units + u]).sum();
            assert_eq!(y[b * units + u], sum, "y[{b}, {u}]");
        }
    }
    for i in 0..inp {
        for u in 0..units {
            let sum: f32 = (0..batch).map(|b| x[b * inp + i] * dy[b * units + u]).sum();
            assert_eq!(dk[i * units + u], sum, "dk[{i}, {u}]");
        }
    }
    for b in 0..batch {
        for i in 0..inp {
            let sum: f32 = (0..units).map(|u| dy[b * units + u] * kernel[i * units + u]).sum();
            assert_eq!(dx[b * inp + i], sum, "dx[{b}, {i}]");
        }
    }
}

#[test]
#[should_panic(expected = "b holds 11 elements, but the 3 × 4 operand with strides (4, 1) reaches index 11")]
fn operand_past_the_end_panics() {
    let (a, b, mut c) = (vec![0.0; 6], vec![0.0; 11], vec![0.0; 8]);
    sgemm(2, 3, 4, 1.0, &a, 3, 1, &b, 4, 1, 0.0, &mut c, 4, 1);
}

#[test]
#[should_panic(expected = "sgemm: strides of a must be non-negative")]
fn negative_stride_panics() {
    let (a, b, mut c) = (vec![0.0; 6], vec![0.0; 12], vec![0.0; 8]);
    sgemm(2, 3, 4, 1.0, &a, -3, 1, &b, 4, 1, 0.0, &mut c, 4, 1);
}

#[test]
#[should_panic(expected = "make elements of the 2 × 4 matrix c overlap")]
fn aliasing_c_panics() {
    let (a, b, mut c) = (vec![0.0; 6], vec![0.0; 12], vec![0.0; 8]);
    sgemm(2, 3, 4, 1.0, &a, 3, 1, &b, 4, 1, 0.0, &mut c, 2, 1);
}

#[test]
#[should_panic(expected = "the small-m kernel needs contiguous rows of b")]
fn small_m_with_strided_b_panics() {
    let (a, b, mut c) = (vec![0.0; 6], vec![0.0; 24], vec![0.0; 8]);
    sgemm_with(Kernel::SmallM(Isa::Portable), 2, 3, 4, 1.0, &a, 3, 1, &b, 8, 2, 0.0, &mut c, 4, 1);
}

#[test]
#[should_panic(expected = "matmul: b must hold 3 × 4 elements, but its length is 11")]
fn matmul_length_mismatch_panics() {
    let (a, b, mut c) = (vec![0.0; 6], vec![0.0; 11], vec![0.0; 8]);
    matmul(2, 3, 4, &a, &b, &mut c, false);
}

#[test]
fn empty_operands_are_fine() {
    // Zero-sized dimensions touch nothing, so empty slices are valid.
    sgemm(0, 0, 0, 1.0, &[], 0, 0, &[], 0, 0, 0.0, &mut [], 0, 0);
    let mut c = vec![f32::NAN; 6];
    sgemm(2, 0, 3, 1.0, &[], 0, 1, &[], 3, 1, 0.0, &mut c, 3, 1);
    assert_eq!(c, vec![0.0; 6]);
}
