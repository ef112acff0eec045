//! General matrix multiplication for f32: `C ← α A B + β C`.
//!
//! This file is the only caller of [`matrixmultiply`] in the project. Arguments use its
//! vocabulary: `A` is `m × k`, `B` is `k × n`, `C` is `m × n`; `rs*`/`cs*` are the row and
//! column strides of each operand in elements, so element `(i, j)` of `A` is
//! `a[i * rsa + j * csa]`. Row-major contiguous storage of an `r × c` matrix is
//! `(rs, cs) = (c, 1)`, column-major is `(1, r)`.
//!
//! Two implementations sit behind [`sgemm`]:
//!
//! - **packed** ([`Kernel::Packed`]): `matrixmultiply::sgemm`, a BLIS-style driver that copies
//!   panels of `A` and `B` into aligned buffers on every call and runs an AVX-512 / FMA
//!   micro-kernel on them. Cache-blocked, so it stays fast on large matrices.
//! - **small-m** ([`Kernel::SmallM`]): no packing. For each block of up to four rows of `A` and
//!   each panel of columns, a block of `C` lives in registers while the rows of `B` stream past:
//!   `C[i, j..j+w] += A[i, p] · B[p, j..j+w]` over `p`, then one store. `B` is read once per four
//!   rows of `A`. Needs contiguous rows of `B` (`csb == 1`). This is what a Dense layer's forward
//!   pass hits at batch 1, where packing `B` would cost far more than the arithmetic.
//!
//! [`choose_kernel`] decides between them (see there for the measured rule). The small-m kernel
//! exists in three builds, chosen at run time by [`Isa::detect`]: AVX-512 and AVX2 + FMA
//! (explicit intrinsics in `#[target_feature]` functions) and a portable one in safe Rust.
//!
//! The contiguous conveniences [`matmul`], [`matmul_at_b`] and [`matmul_a_bt`] (with
//! [`matmul_a_bt_with`], through a transposed copy) are what the layers call: forward
//! `y = x · K`, weight gradient `dK = xᵀ · dy`, input gradient `dx = dy · Kᵀ`;
//! [`matmul_at_b_strided`] is the weight gradient over row-strided operands and many rows
//! (the recurrent layers' sums over time).
//!
//! Shape or length mistakes here are programming errors inside shaped, never user data (the
//! layers check user shapes and return [`crate::Error`]), so they panic with a message naming
//! the operand and both values.

use crate::kernels::rowwise::transpose;
use crate::kernels::threads;

/// Instruction set used by the small-m kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// x86-64 with `avx512f`, `avx2` and `fma`: 512-bit registers, fused multiply-add.
    Avx512,
    /// x86-64 with `avx2` and `fma`: 256-bit registers, fused multiply-add.
    Avx2Fma,
    /// Whatever the compilation target guarantees (SSE2 on x86-64, NEON on aarch64); separate
    /// multiply and add.
    Portable,
}

impl Isa {
    /// Every variant, widest first.
    pub const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2Fma, Isa::Portable];

    /// The widest instruction set this CPU supports.
    pub fn detect() -> Isa {
        Isa::ALL.into_iter().find(|isa| isa.is_available()).unwrap_or(Isa::Portable)
    }

    /// Whether this CPU can run the variant; [`Isa::Portable`] always can.
    pub fn is_available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx512 | Isa::Avx2Fma => false,
            Isa::Portable => true,
        }
    }
}

/// Which implementation [`sgemm_with`] runs.
///
/// Everything outside tests and benches wants [`Kernel::Auto`]; the other variants exist so
/// that each path can be checked against [`crate::kernels::reference::gemm_reference`] on any
/// shape, and timed against the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Whatever [`choose_kernel`] returns for the shape.
    Auto,
    /// `matrixmultiply::sgemm`.
    Packed,
    /// The small-m kernel with the given instruction set, for any `m`. Needs `csb == 1` (or
    /// `n == 1`) and an available [`Isa`].
    SmallM(Isa),
}

/// The implementation [`Kernel::Auto`] resolves to for an `m × k` by `k × n` product whose `B`
/// has column stride `csb`.
///
/// Packing `B` costs `O(k·n)` per call whatever `m` is, while the small-m kernel pays one pass
/// over `B` per four rows of `A`; matrixmultiply's 16-wide micro-tiles also waste work when `n`
/// is narrow. Rule (needs `csb == 1` or `n == 1`; otherwise packed):
///
/// - AVX-512: small-m when `m <= 32`, or `n <= 32`, or `B` has at most 64 Ki elements
///   (256 KiB, resident in L2), packed otherwise;
/// - AVX2 + FMA: small-m when `m <= 8` or `n <= 16`;
/// - portable: small-m when `m <= 2`.
///
/// The AVX-512 thresholds were measured on a 2-core AMD EPYC (Zen 4, KVM) against
/// matrixmultiply's AVX-512 kernel on the MLP shapes `784×256`, `256×128`, `128×10` and on
/// squares 64…1024 with `m` from 1 to 1024: at those bounds small-m was at least as fast,
/// and up to 8× faster at `m = 1`. The AVX2 and portable thresholds are conservative guesses
/// (small-m with AVX2 beat the AVX-512 packed path up to `m = 8` on that machine).
pub fn choose_kernel(m: usize, k: usize, n: usize, csb: isize) -> Kernel {
    if csb != 1 && n != 1 {
        return Kernel::Packed;
    }
    let isa = Isa::detect();
    let small = match isa {
        // Measured (Zen 4, one thread): while B fits in L2 (k·n ≤ 512², 1 MB) the
        // register-blocked kernel is as fast as matrixmultiply or faster on every shape tried
        // (W2/W3's 128..256 × 784 × 256: 448 vs 517 µs; 512³: 107 vs 105 GFLOP/s), and it
        // allocates nothing, where matrixmultiply allocates its packing buffers on every call.
        // Beyond that (1024³: 78 vs 92 GFLOP/s) packing pays.
        Isa::Avx512 => m <= 32 || n <= 32 || k.saturating_mul(n) <= 512 * 512,
        Isa::Avx2Fma => m <= 8 || n <= 16,
        Isa::Portable => m <= 2,
    };
    if small {
        Kernel::SmallM(isa)
    } else {
        Kernel::Packed
    }
}

/// `C ← α A B + β C` for strided f32 matrices, choosing the implementation (see [`Kernel::Auto`]).
///
/// - `A` is `m × k`: element `(i, p)` is `a[i * rsa + p * csa]`.
/// - `B` is `k × n`: element `(p, j)` is `b[p * rsb + j * csb]`.
/// - `C` is `m × n`: element `(i, j)` is `c[i * rsc + j * csc]`.
///
/// When `beta == 0`, `C` is only written, never read, so it may hold anything (NaN included).
/// `A` and `B` are read even when `alpha == 0`.
///
/// # Panics
///
/// If a stride is negative, if an operand reaches past the end of its slice, or if the strides
/// of `C` make two of its elements share a slot (for instance `rsc == 0` with `m > 1`). These are
/// programming errors of the caller.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    beta: f32,
    c: &mut [f32],
    rsc: isize,
    csc: isize,
) {
    sgemm_with(Kernel::Auto, m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
}

/// [`sgemm`] with an explicit choice of implementation: `C ← α A B + β C`.
///
/// Same shape, stride and `beta == 0` contract as [`sgemm`].
///
/// # Panics
///
/// As [`sgemm`]; also if `kernel` is [`Kernel::SmallM`] with `csb != 1` or with an [`Isa`]
/// this CPU lacks.
#[allow(clippy::too_many_arguments)]
pub fn sgemm_with(
    kernel: Kernel,
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    beta: f32,
    c: &mut [f32],
    rsc: isize,
    csc: isize,
) {
    let (rsa_u, _) = check_operand("a", m, k, rsa, csa, a.len());
    check_operand("b", k, n, rsb, csb, b.len());
    let (rsc_u, csc_u) = check_operand("c", m, n, rsc, csc, c.len());
    check_no_alias(m, n, rsc_u, csc_u);
    if m == 0 || n == 0 {
        return;
    }

    let kernel = match kernel {
        Kernel::Auto => choose_kernel(m, k, n, csb),
        other => other,
    };
    // Blocks of columns or rows of `C` on the kernels' threads, each with the kernel chosen
    // for the whole product: every value is computed as on one thread.
    let parts = match split(kernel, m, k, n, rsc_u, csc_u) {
        Split::Whole => {
            run_kernel(kernel, m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
            return;
        }
        Split::Columns(parts) => {
            let cols = n.div_ceil(parts).next_multiple_of(16);
            let out = SharedOut { ptr: c.as_mut_ptr(), len: c.len() };
            threads::for_each_part(parts, &|i| {
                let first = i * cols;
                if first < n {
                    let width = cols.min(n - first);
                    let b_block = &b[first * csb as usize..];
                    // SAFETY: `out` is `c`, borrowed mutably by this call and used only through
                    // `out` until every part is done; part `i` writes only columns
                    // `first .. first + width` of `C`, which no other part touches
                    // (`check_no_alias`: distinct (row, column) are distinct elements).
                    unsafe {
                        run_column_block(
                            kernel, m, k, width, alpha, a, rsa, csa, b_block, rsb, csb, beta, out, first,
                            rsc, csc,
                        )
                    };
                }
            });
            return;
        }
        Split::Rows(parts) => parts,
    };
    let rows = m.div_ceil(parts);
    let block = rows * rsc_u;
    let mut rest = c;
    let mut blocks: [&mut [f32]; MAX_PARTS] = std::array::from_fn(|_| {
        let take = block.min(rest.len());
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(take);
        rest = tail;
        head
    });
    threads::for_each_item(&mut blocks[..parts], &|i, c_block| {
        let first = i * rows;
        let m_block = rows.min(m - first);
        let a_block = &a[first * rsa_u..];
        run_kernel(kernel, m_block, k, n, alpha, a_block, rsa, csa, b, rsb, csb, beta, c_block, rsc, csc);
    });
}

/// The most blocks a product is split into.
const MAX_PARTS: usize = 8;

/// Products of fewer multiply-adds run on one thread: below this (about 10 µs of work), the
/// time to hand a share over and to bring the other core's half of `C` back to the caller for
/// the passes after the product is more than the split saves (W4's recurrent steps, 32 × 64 ×
/// 256, stay whole).
const PARALLEL_MIN_MACS: usize = 1 << 20;

/// The same for a product of at most [`FEW_ROWS`] rows (inference on a few samples), bound by
/// reading `B`: from about 1 µs of work each core reads its own half of `B`, kept in its own
/// cache (W3's first layer at batch 1, 784 × 256, is split).
const PARALLEL_MIN_MACS_FEW_ROWS: usize = 1 << 17;

/// At most this many rows make a product [`PARALLEL_MIN_MACS_FEW_ROWS`] applies to.
const FEW_ROWS: usize = 4;

/// Products with shorter sums stay whole: with fewer multiply-adds per output value they are
/// bound by moving `A` and `C`, which a split does not speed up but leaves half of `C` in the
/// other core's cache (a 3×3 convolution of one channel, `k = 9`).
const MIN_DEPTH: usize = 32;

/// How a product is shared among the kernel threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Split {
    /// On the calling thread.
    Whole,
    /// In this many blocks of columns (each reads its own part of `B`, all of `A`).
    Columns(usize),
    /// In this many blocks of rows (each reads its own rows of `A`, all of `B`).
    Rows(usize),
}

/// How an `m × k` by `k × n` product is shared: not at all on one thread, below
/// [`PARALLEL_MIN_MACS`] (or [`PARALLEL_MIN_MACS_FEW_ROWS`] for at most [`FEW_ROWS`] rows), or
/// for sums shorter than [`MIN_DEPTH`]; by blocks of at least 32 columns when the kernel takes a raw output (the packed
/// and vector small-m kernels), so that each thread's share of `B` stays in its own cache;
/// else by blocks of at least 8 rows when `C`'s rows do not interleave (`rsc ≥ n · csc`, as
/// for every row-major `C`).
fn split(kernel: Kernel, m: usize, k: usize, n: usize, rsc: usize, csc: usize) -> Split {
    let threads = threads::num_threads().min(MAX_PARTS);
    let min_macs = if m <= FEW_ROWS { PARALLEL_MIN_MACS_FEW_ROWS } else { PARALLEL_MIN_MACS };
    if threads <= 1 || k < MIN_DEPTH || m.saturating_mul(k).saturating_mul(n) < min_macs {
        return Split::Whole;
    }
    let raw_output = matches!(kernel, Kernel::Packed | Kernel::SmallM(Isa::Avx512 | Isa::Avx2Fma));
    if raw_output && n >= 32 * threads {
        return Split::Columns(threads);
    }
    let parts = threads.min(m / 8);
    if parts > 1 && csc > 0 && rsc >= n * csc {
        Split::Rows(parts)
    } else {
        Split::Whole
    }
}

/// `C`'s elements, shared by the parts of a product split by columns, each of which writes
/// only its own columns.
#[derive(Clone, Copy)]
struct SharedOut {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: the parts that share it write disjoint elements (see `Split::Columns` in
// `sgemm_with`), and the borrow it comes from outlives them.
unsafe impl Send for SharedOut {}
// SAFETY: as for `Send`.
unsafe impl Sync for SharedOut {}

/// [`run_kernel`] on columns `first .. first + n` of the `C` behind `out` (`b` starts at
/// column `first`).
///
/// # Safety
///
/// `out` must point to a live `C` of `out.len` elements that nothing else reads or writes
/// meanwhile, apart from other calls writing other columns; `kernel` must be `Packed` or a
/// vector `SmallM` this CPU runs.
#[allow(clippy::too_many_arguments)]
unsafe fn run_column_block(
    kernel: Kernel,
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    beta: f32,
    out: SharedOut,
    first: usize,
    rsc: isize,
    csc: isize,
) {
    let (rsa_u, csa_u) = check_operand("a", m, k, rsa, csa, a.len());
    let (rsb_u, _) = check_operand("b", k, n, rsb, csb, b.len());
    let offset = first * csc as usize;
    let (rsc_u, csc_u) = check_operand("c", m, n, rsc, csc, out.len.saturating_sub(offset));
    // SAFETY: `offset` is within `C` (checked just above: the block's elements lie in the
    // `out.len - offset` elements after it).
    let c = unsafe { out.ptr.add(offset) };
    match kernel {
        Kernel::SmallM(isa) => {
            assert!(csb == 1 || n == 1, "sgemm: the small-m kernel needs contiguous rows of b");
            let g = Geom { m, k, n, alpha, beta, rsa: rsa_u, csa: csa_u, rsb: rsb_u, rsc: rsc_u, csc: csc_u };
            // SAFETY: the caller guarantees a vector `isa` this CPU runs; `g` was checked
            // against `a`, `b` and the elements after `c`, which only this block writes.
            unsafe { small_m_raw(isa, &g, a, b, c) };
        }
        Kernel::Packed | Kernel::Auto => {
            // SAFETY: as in `run_kernel`: the offsets were checked against `a`, `b` and the
            // elements after `c`, and only this block writes its elements of `C`.
            unsafe { packed(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) };
        }
    }
}

/// `matrixmultiply::sgemm` on checked operands.
///
/// # Safety
///
/// Every element of `A`, `B` and `C` the strides reach lies in `a`, `b` and after `c`,
/// distinct elements of `C` are distinct places, and nothing else touches them meanwhile.
#[allow(clippy::too_many_arguments)]
unsafe fn packed(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    beta: f32,
    c: *mut f32,
    rsc: isize,
    csc: isize,
) {
    // SAFETY: the caller's contract is matrixmultiply's; when beta == 0 it does not read `c`.
    unsafe {
        matrixmultiply::sgemm(m, k, n, alpha, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, beta, c, rsc, csc)
    }
}

/// [`sgemm_with`]'s work on the calling thread, operands checked.
#[allow(clippy::too_many_arguments)]
fn run_kernel(
    kernel: Kernel,
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    beta: f32,
    c: &mut [f32],
    rsc: isize,
    csc: isize,
) {
    // Checked again for this block (constant time), so that the kernels' safety rests on
    // these operands alone.
    let (rsa_u, csa_u) = check_operand("a", m, k, rsa, csa, a.len());
    let (rsb_u, csb_u) = check_operand("b", k, n, rsb, csb, b.len());
    let (rsc_u, csc_u) = check_operand("c", m, n, rsc, csc, c.len());
    match kernel {
        Kernel::SmallM(isa) => {
            assert!(
                csb_u == 1 || n == 1,
                "sgemm: the small-m kernel needs contiguous rows of b (csb == 1), got csb = {csb}"
            );
            assert!(isa.is_available(), "sgemm: this cpu cannot run the {isa:?} small-m kernel");
            let g = Geom { m, k, n, alpha, beta, rsa: rsa_u, csa: csa_u, rsb: rsb_u, rsc: rsc_u, csc: csc_u };
            // SAFETY: `isa` is available (asserted above) and `g` holds the dimensions and
            // strides that `check_operand` validated against `a`, `b` and `c`, with csb == 1 or
            // n == 1 (asserted above).
            unsafe { small_m(isa, &g, a, b, c) };
        }
        Kernel::Packed | Kernel::Auto => {
            // SAFETY: `check_operand` proved that for every i < m, p < k, j < n the offsets
            // i*rsa + p*csa, p*rsb + j*csb and i*rsc + j*csc are in bounds of `a`, `b` and `c`
            // (strides are non-negative, so no other offsets are formed), and `check_no_alias`
            // proved that distinct (i, j) give distinct offsets into `c`, as matrixmultiply
            // requires. `c` is borrowed mutably, so nothing else aliases it; `a` and `b` are only
            // read.
            unsafe { packed(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c.as_mut_ptr(), rsc, csc) };
        }
    }
}

/// `C = A · B` (or `C += A · B` when `accumulate`) for contiguous row-major matrices.
///
/// `a` is `A`, `m × k`; `b` is `B`, `k × n`; `c` is `C`, `m × n`, all row-major with no padding.
/// A Dense forward pass is `matmul(batch, in, units, x, kernel, y, false)`. Without `accumulate`
/// the old contents of `c` are never read.
///
/// # Panics
///
/// If `a.len() != m * k`, `b.len() != k * n` or `c.len() != m * n`.
pub fn matmul(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    check_len("matmul", "a", m, k, a.len());
    check_len("matmul", "b", k, n, b.len());
    check_len("matmul", "c", m, n, c.len());
    let beta = if accumulate { 1.0 } else { 0.0 };
    sgemm(m, k, n, 1.0, a, stride(k), 1, b, stride(n), 1, beta, c, stride(n), 1);
}

/// `C = Aᵀ · B` (or `C += Aᵀ · B` when `accumulate`), where `a` stores `A` as `k × m` row-major.
///
/// `a` is `k × m`, `b` is `k × n`, `c` is `m × n`, all contiguous row-major; the product is
/// `C[i, j] = Σ_p a[p, i] · b[p, j]`. A Dense weight gradient `dK = xᵀ · dy` is
/// `matmul_at_b(in, batch, units, x, dy, dk, false)` with `x` of shape `batch × in`.
///
/// # Panics
///
/// If `a.len() != k * m`, `b.len() != k * n` or `c.len() != m * n`.
pub fn matmul_at_b(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    check_len("matmul_at_b", "a", k, m, a.len());
    check_len("matmul_at_b", "b", k, n, b.len());
    check_len("matmul_at_b", "c", m, n, c.len());
    let beta = if accumulate { 1.0 } else { 0.0 };
    sgemm(m, k, n, 1.0, a, 1, stride(m), b, stride(n), 1, beta, c, stride(n), 1);
}

/// `C = A · Bᵀ` (or `C += A · Bᵀ` when `accumulate`), where `b` stores `B` as `n × k` row-major.
///
/// `a` is `m × k`, `b` is `n × k`, `c` is `m × n`, all contiguous row-major; the product is
/// `C[i, j] = Σ_p a[i, p] · b[j, p]`. A Dense input gradient `dx = dy · Kᵀ` is
/// `matmul_a_bt(batch, units, in, dy, kernel, dx, false)` with `kernel` of shape `in × units`.
///
/// # Panics
///
/// If `a.len() != m * k`, `b.len() != n * k` or `c.len() != m * n`.
pub fn matmul_a_bt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    check_len("matmul_a_bt", "a", m, k, a.len());
    check_len("matmul_a_bt", "b", n, k, b.len());
    check_len("matmul_a_bt", "c", m, n, c.len());
    let beta = if accumulate { 1.0 } else { 0.0 };
    sgemm(m, k, n, 1.0, a, stride(k), 1, b, 1, stride(k), beta, c, stride(n), 1);
}

/// [`matmul_a_bt`] through a transposed copy of `B` in `scratch` (grown, never shrunk), so that
/// the product runs on the kernel that reads `B` by rows and allocates nothing once `scratch`
/// is large enough: what a training step needs for `dx = dy · Kᵀ`.
///
/// # Panics
///
/// As [`matmul_a_bt`].
#[allow(clippy::too_many_arguments)]
pub fn matmul_a_bt_with(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    accumulate: bool,
    scratch: &mut Vec<f32>,
) {
    check_len("matmul_a_bt_with", "a", m, k, a.len());
    check_len("matmul_a_bt_with", "b", n, k, b.len());
    check_len("matmul_a_bt_with", "c", m, n, c.len());
    if scratch.len() < k * n {
        scratch.resize(k * n, 0.0);
    }
    let bt = &mut scratch[..k * n];
    transpose(b, n, k, bt);
    matmul(m, k, n, a, bt, c, accumulate);
}

/// Rows per product in [`matmul_at_b_strided`]: a `256 × 4u` slice of LSTM gate gradients
/// stays in L2, and products of this size take the unpacked kernel, which allocates nothing
/// (measured on LSTM(64): as fast as one product over all rows, or faster).
const AT_B_CHUNK_ROWS: usize = 256;

/// `C = Aᵀ · B = Σ_p A[p, :]ᵀ ⊗ B[p, :]` (or `C += Aᵀ · B` when `accumulate`) for row-strided
/// operands, a weight gradient summed over `k` rows: `a` holds `A` (`k × m`) with row stride
/// `lda`, `b` holds `B` (`k × n`) with row stride `ldb`, `c` holds `C` (`m × n`) with row stride
/// `ldc`, each starting at the slice's first element. Without `accumulate`, `C` is overwritten
/// (zeros when `k == 0`); with it, a gradient summed over several blocks of rows (a
/// convolution's chunks of samples, a recurrent layer's shares) adds each block after the first.
///
/// The sum runs in chunks of 256 rows, each accumulated onto the ones before: a chunk of `B`
/// stays in L2 and, on the shapes measured (LSTM(64) with AVX-512), is small enough for the
/// small-m kernel, which packs (and allocates) nothing, however many rows the sum has. A
/// recurrent layer's `dU = Σ_t h_{t−1}ᵀ · da_t` is
/// `matmul_at_b_strided(u, rows, 4u, h, u, da, 4u, du, 4u, false)`.
///
/// # Panics
///
/// As [`sgemm`], if an operand reaches past the end of its slice.
#[allow(clippy::too_many_arguments)]
pub fn matmul_at_b_strided(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) {
    if k == 0 && !accumulate {
        for i in 0..m {
            c[i * ldc..i * ldc + n].fill(0.0);
        }
        return;
    }
    for start in (0..k).step_by(AT_B_CHUNK_ROWS) {
        let rows = AT_B_CHUNK_ROWS.min(k - start);
        let beta = if start == 0 && !accumulate { 0.0 } else { 1.0 };
        let (a, b) = (&a[start * lda..], &b[start * ldb..]);
        sgemm(m, rows, n, 1.0, a, 1, stride(lda), b, stride(ldb), 1, beta, c, stride(ldc), 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Argument checks

/// A contiguous dimension (or a row length) as a stride for [`sgemm`]. Slices never exceed
/// `isize::MAX` bytes, and callers pass a dimension of a matrix inside a slice, so a dimension
/// with a non-empty partner always fits; an oversized dimension with an empty partner is
/// clamped, which is harmless since nothing is touched then.
pub fn stride(dim: usize) -> isize {
    isize::try_from(dim).unwrap_or(isize::MAX)
}

#[track_caller]
fn check_len(func: &str, name: &str, rows: usize, cols: usize, len: usize) {
    let needed = rows.checked_mul(cols);
    assert!(
        needed == Some(len),
        "{func}: {name} must hold {rows} × {cols} elements, but its length is {len}"
    );
}

/// Checks that the `rows × cols` operand `name` with strides `(rs, cs)` lies inside a slice of
/// `len` elements and returns the strides as `usize`.
#[track_caller]
fn check_operand(name: &str, rows: usize, cols: usize, rs: isize, cs: isize, len: usize) -> (usize, usize) {
    let (Ok(rs_u), Ok(cs_u)) = (usize::try_from(rs), usize::try_from(cs)) else {
        panic!("sgemm: strides of {name} must be non-negative, got (rs{name}, cs{name}) = ({rs}, {cs})");
    };
    if rows == 0 || cols == 0 {
        return (rs_u, cs_u);
    }
    let last = (rows - 1)
        .checked_mul(rs_u)
        .and_then(|r| (cols - 1).checked_mul(cs_u).and_then(|c| r.checked_add(c)));
    match last {
        Some(last) if last < len => (rs_u, cs_u),
        _ => panic!(
            "sgemm: {name} holds {len} elements, but the {rows} × {cols} operand with strides \
             ({rs}, {cs}) reaches index {}",
            last.map_or_else(|| "beyond usize::MAX".to_string(), |l| l.to_string())
        ),
    }
}

/// Checks that distinct elements of the `m × n` matrix `C` have distinct offsets.
///
/// Sufficient condition used: ignoring dimensions of extent 1, the smaller stride is at least 1
/// and the larger one at least the smaller stride times its extent (row-major, column-major
/// and padded variants of either pass).
#[track_caller]
fn check_no_alias(m: usize, n: usize, rsc: usize, csc: usize) {
    if m == 0 || n == 0 {
        return;
    }
    let mut dims = [(rsc, m), (csc, n)];
    dims.sort_unstable();
    let [(s0, e0), (s1, e1)] = dims;
    let ok = match (e0 > 1, e1 > 1) {
        (false, false) => true,
        (true, false) => s0 >= 1,
        (false, true) => s1 >= 1,
        (true, true) => s0 >= 1 && e0.checked_mul(s0).is_some_and(|span| s1 >= span),
    };
    assert!(ok, "sgemm: strides (rsc, csc) = ({rsc}, {csc}) make elements of the {m} × {n} matrix c overlap");
}

// ---------------------------------------------------------------------------------------------
// Small-m kernel

/// Dimensions and non-negative strides for the small-m kernel; `csb` is 1 or `n` is 1, so
/// `B[p, j]` is `b[p * rsb + j]` for every column used.
///
/// Valid for slices `a`, `b`, `c` when every `i*rsa + p*csa`, `p*rsb + j` and `i*rsc + j*csc`
/// (`i < m`, `p < k`, `j < n`) is in bounds of its slice, as `check_operand` establishes.
struct Geom {
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    beta: f32,
    rsa: usize,
    csa: usize,
    rsb: usize,
    rsc: usize,
    csc: usize,
}

/// Row-block heights of the portable and AVX2 small-m kernels, tallest first: each pass over
/// `B` serves up to this many rows of `A` (AVX-512 has its own, `Simd::ROW_BLOCKS`).
const ROW_BLOCKS: [usize; 3] = [4, 2, 1];

/// Row-block heights of the vector kernels when `C` is one vector wide or narrower (`n ≤`
/// lanes: a convolution of 16 filters, a 10-class output): four rows would keep only four
/// accumulators in flight, fewer than the FMA latency hides, so blocks of eight come first.
const NARROW_ROW_BLOCKS: [usize; 4] = [8, 4, 2, 1];

/// Runs the small-m kernel built for `isa`.
///
/// # Safety
///
/// `isa.is_available()`, and `g` is valid for `a`, `b` and `c` (see [`Geom`]).
/// The vector small-m kernels on an output given as a pointer (a block of columns of `C`).
///
/// # Safety
///
/// As [`small_m`], with `c` valid for every element `g` reaches and written by nobody else
/// meanwhile; `isa` must be a vector one (`Avx512` or `Avx2Fma`).
unsafe fn small_m_raw(isa: Isa, g: &Geom, a: &[f32], b: &[f32], c: *mut f32) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller guarantees `isa.is_available()` and a valid `g` and `c`.
        Isa::Avx512 => unsafe { x86::small_m_avx512_raw(g, a, b, c) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2Fma => unsafe { x86::small_m_avx2_raw(g, a, b, c) },
        _ => unreachable!("a column block runs a vector small-m kernel only"),
    }
}

unsafe fn small_m(isa: Isa, g: &Geom, a: &[f32], b: &[f32], c: &mut [f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => {
            // SAFETY: the caller guarantees `isa.is_available()`, i.e. this CPU has avx512f,
            // avx2 and fma, the features `small_m_avx512` is compiled for, and a valid `g`.
            unsafe { x86::small_m_avx512(g, a, b, c) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => {
            // SAFETY: the caller guarantees `isa.is_available()`, i.e. this CPU has avx2 and
            // fma, the features `small_m_avx2` is compiled for, and a valid `g`.
            unsafe { x86::small_m_avx2(g, a, b, c) }
        }
        // Off x86-64 these are never available (`sgemm_with` asserts it), so this arm only
        // keeps the match exhaustive.
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Avx512 | Isa::Avx2Fma => portable::small_m(g, a, b, c),
        Isa::Portable => portable::small_m(g, a, b, c),
    }
}

/// The small-m kernel in safe Rust, left to the auto-vectoriser of the compilation target.
mod portable {
    use super::{Geom, ROW_BLOCKS};

    /// f32 accumulators per row block: eight SSE or NEON registers.
    const MAX_ACC: usize = 32;

    pub(super) fn small_m(g: &Geom, a: &[f32], b: &[f32], c: &mut [f32]) {
        let mut i = 0;
        for rows in ROW_BLOCKS {
            while g.m - i >= rows {
                match rows {
                    4 => row_block::<4>(g, a, b, c, i),
                    2 => row_block::<2>(g, a, b, c, i),
                    _ => row_block::<1>(g, a, b, c, i),
                }
                i += rows;
            }
        }
    }

    /// Rows `i0 .. i0 + R` of `C`, in panels of 32, 16, 8 or (last) fewer columns.
    fn row_block<const R: usize>(g: &Geom, a: &[f32], b: &[f32], c: &mut [f32], i0: usize) {
        let mut j = 0;
        while j < g.n {
            let w = (g.n - j).min(MAX_ACC / R);
            j += match w {
                32.. => block::<R, 32>(g, a, b, c, i0, j, 32),
                16.. => block::<R, 16>(g, a, b, c, i0, j, 16),
                8.. => block::<R, 8>(g, a, b, c, i0, j, 8),
                w => block::<R, 8>(g, a, b, c, i0, j, w),
            };
        }
    }

    /// `C[i0..i0+R, j0..j0+w] ← α A[i0..i0+R, :] · B[:, j0..j0+w] + β C[..]`, `w <= W`, with
    /// `R × W` accumulators; returns `w`. The inner loop has a constant trip count when
    /// `w == W`, so it vectorises.
    #[inline(always)]
    fn block<const R: usize, const W: usize>(
        g: &Geom,
        a: &[f32],
        b: &[f32],
        c: &mut [f32],
        i0: usize,
        j0: usize,
        w: usize,
    ) -> usize {
        let mut acc = [[0.0f32; W]; R];
        let mut a_off = [0usize; R];
        for (r, off) in a_off.iter_mut().enumerate() {
            *off = (i0 + r) * g.rsa;
        }
        let mut b_off = j0;
        for _ in 0..g.k {
            if w == W {
                let b_row: &[f32; W] = split_array(&b[b_off..]);
                for r in 0..R {
                    let x = a[a_off[r]];
                    for j in 0..W {
                        acc[r][j] += x * b_row[j];
                    }
                    a_off[r] += g.csa;
                }
            } else {
                let b_row = &b[b_off..b_off + w];
                for r in 0..R {
                    let x = a[a_off[r]];
                    for (acc, &y) in acc[r].iter_mut().zip(b_row) {
                        *acc += x * y;
                    }
                    a_off[r] += g.csa;
                }
            }
            b_off += g.rsb;
        }
        for (r, acc_row) in acc.iter().enumerate() {
            let row = (i0 + r) * g.rsc;
            for (j, &s) in acc_row[..w].iter().enumerate() {
                let c = &mut c[row + (j0 + j) * g.csc];
                *c = if g.beta == 0.0 { g.alpha * s } else { g.alpha * s + g.beta * *c };
            }
        }
        w
    }

    /// The first `W` elements of `s` as an array reference.
    ///
    /// # Panics
    ///
    /// If `s` is shorter than `W`; `block` only asks for columns inside `B`.
    #[inline(always)]
    fn split_array<const W: usize>(s: &[f32]) -> &[f32; W] {
        match s.first_chunk::<W>() {
            Some(chunk) => chunk,
            None => panic!("sgemm: internal error, a panel of b runs past its end"),
        }
    }
}

/// The small-m kernel with explicit AVX-512 and AVX2 + FMA intrinsics.
///
/// Written against the `Simd` trait so that one body serves both register widths. A block of
/// `R` rows × `NV` vectors of `C` stays in registers for the whole pass over `k`; the last
/// panel narrower than one vector uses masked loads and stores, so no element outside `B` or
/// `C` is touched.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Geom, NARROW_ROW_BLOCKS, ROW_BLOCKS};
    use std::arch::x86_64::*;

    /// One vector instruction set. Every method requires the target features of the
    /// implementing type; callers are `#[target_feature]` functions that have them.
    trait Simd {
        /// f32 lanes per register.
        const LANES: usize;
        /// Accumulator registers per block; rows × vectors of a block never exceed it.
        const MAX_ACC: usize;
        /// Row-block heights, tallest first (when `C` is wider than one vector).
        const ROW_BLOCKS: &'static [usize];
        /// The register type.
        type V: Copy;

        /// Safety: requires the implementor's target features.
        unsafe fn splat(x: f32) -> Self::V;
        /// `a · b + c`, fused. Safety: requires the implementor's target features.
        unsafe fn fmadd(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
        /// `a · b`. Safety: requires the implementor's target features.
        unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
        /// Loads `LANES` values. Safety: target features, and `p .. p + LANES` readable.
        unsafe fn load(p: *const f32) -> Self::V;
        /// Loads `len < LANES` values, zero in the other lanes; reads nothing past
        /// `p + len`. Safety: target features, and `p .. p + len` readable.
        unsafe fn load_partial(p: *const f32, len: usize) -> Self::V;
        /// Stores `LANES` values. Safety: target features, and `p .. p + LANES` writable.
        unsafe fn store(p: *mut f32, v: Self::V);
        /// Stores the first `len < LANES` lanes; writes nothing else. Safety: target
        /// features, and `p .. p + len` writable.
        unsafe fn store_partial(p: *mut f32, len: usize, v: Self::V);
    }

    /// How many rows of `B` ahead a one-row block (a product of one sample, `B` streamed once
    /// from L2) asks for: the hardware prefetcher alone left it at ~25 bytes per cycle
    /// (Sapphire Rapids, 784 × 256: 30–34 GFLOP/s without, 38–40 with 4, 8 or 16 rows
    /// ahead). A prefetch changes no value.
    const PREFETCH_ROWS: usize = 4;

    /// 512-bit registers (avx512f).
    struct Avx512;

    impl Simd for Avx512 {
        const LANES: usize = 16;
        // 24 accumulators, 4 vectors of `B` and a broadcast of `A` in 32 registers: a block
        // of 6 rows × 4 vectors (64 columns) loads one vector of `B` per 6 FMAs, where 4 × 4
        // loaded one per 4 and left the kernel waiting on `B`'s stream from L2 (Sapphire
        // Rapids, one thread: 128 × 784 × 256 from 89 to 128 GFLOP/s, 512³ from 79 to 122).
        const MAX_ACC: usize = 24;
        const ROW_BLOCKS: &'static [usize] = &[6, 4, 2, 1];
        type V = __m512;

        #[inline(always)]
        unsafe fn splat(x: f32) -> __m512 {
            // SAFETY: the caller guarantees avx512f.
            unsafe { _mm512_set1_ps(x) }
        }
        #[inline(always)]
        unsafe fn fmadd(a: __m512, b: __m512, c: __m512) -> __m512 {
            // SAFETY: the caller guarantees avx512f.
            unsafe { _mm512_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m512, b: __m512) -> __m512 {
            // SAFETY: the caller guarantees avx512f.
            unsafe { _mm512_mul_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m512 {
            // SAFETY: the caller guarantees avx512f and 16 readable f32 at `p`; the load is
            // unaligned.
            unsafe { _mm512_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn load_partial(p: *const f32, len: usize) -> __m512 {
            // SAFETY: the caller guarantees avx512f and `len` readable f32 at `p`; masked-off
            // lanes are not accessed (AVX-512 suppresses faults on them).
            unsafe { _mm512_maskz_loadu_ps(mask16(len), p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m512) {
            // SAFETY: the caller guarantees avx512f and 16 writable f32 at `p`.
            unsafe { _mm512_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn store_partial(p: *mut f32, len: usize, v: __m512) {
            // SAFETY: the caller guarantees avx512f and `len` writable f32 at `p`; masked-off
            // lanes are not written.
            unsafe { _mm512_mask_storeu_ps(p, mask16(len), v) }
        }
    }

    /// The mask with the low `len` bits set, `len < 16`.
    #[inline(always)]
    fn mask16(len: usize) -> __mmask16 {
        ((1u32 << len) - 1) as __mmask16
    }

    /// 256-bit registers (avx2 and fma).
    struct Avx2;

    impl Simd for Avx2 {
        const LANES: usize = 8;
        const MAX_ACC: usize = 8;
        const ROW_BLOCKS: &'static [usize] = &ROW_BLOCKS;
        type V = __m256;

        #[inline(always)]
        unsafe fn splat(x: f32) -> __m256 {
            // SAFETY: the caller guarantees avx.
            unsafe { _mm256_set1_ps(x) }
        }
        #[inline(always)]
        unsafe fn fmadd(a: __m256, b: __m256, c: __m256) -> __m256 {
            // SAFETY: the caller guarantees fma.
            unsafe { _mm256_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m256, b: __m256) -> __m256 {
            // SAFETY: the caller guarantees avx.
            unsafe { _mm256_mul_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m256 {
            // SAFETY: the caller guarantees avx and 8 readable f32 at `p`; unaligned load.
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn load_partial(p: *const f32, len: usize) -> __m256 {
            // SAFETY: the caller guarantees avx and `len` readable f32 at `p`; vmaskmovps does
            // not access masked-off lanes.
            unsafe { _mm256_maskload_ps(p, mask8(len)) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m256) {
            // SAFETY: the caller guarantees avx and 8 writable f32 at `p`.
            unsafe { _mm256_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn store_partial(p: *mut f32, len: usize, v: __m256) {
            // SAFETY: the caller guarantees avx and `len` writable f32 at `p`; vmaskmovps does
            // not write masked-off lanes.
            unsafe { _mm256_maskstore_ps(p, mask8(len), v) }
        }
    }

    /// Lanes `0 .. len` all ones, the rest zero, `len < 8`. Safety: requires avx2.
    #[inline(always)]
    unsafe fn mask8(len: usize) -> __m256i {
        // SAFETY: the caller guarantees avx2, which the 256-bit integer compare needs.
        unsafe {
            let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            _mm256_cmpgt_epi32(_mm256_set1_epi32(len as i32), lane)
        }
    }

    /// Small-m kernel with 512-bit registers.
    ///
    /// # Safety
    ///
    /// The CPU has avx512f, avx2 and fma, and `g` is valid for `a`, `b`, `c` (see [`Geom`]).
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn small_m_avx512(g: &Geom, a: &[f32], b: &[f32], c: &mut [f32]) {
        // SAFETY: the target features are enabled on this function, and the caller guarantees
        // that every element of A, B and C lies in `a`, `b` and `c` and that `B` has unit
        // column stride (or one column), which is all `body` needs. `c` is a unique borrow.
        unsafe { body::<Avx512>(g, a.as_ptr(), b.as_ptr(), c.as_mut_ptr()) }
    }

    /// Small-m kernel with 256-bit registers.
    ///
    /// # Safety
    ///
    /// The CPU has avx2 and fma, and `g` is valid for `a`, `b`, `c` (see [`Geom`]).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn small_m_avx2(g: &Geom, a: &[f32], b: &[f32], c: &mut [f32]) {
        // SAFETY: as in `small_m_avx512`, with the features `Avx2` needs.
        unsafe { body::<Avx2>(g, a.as_ptr(), b.as_ptr(), c.as_mut_ptr()) }
    }

    /// [`small_m_avx512`] on an output pointer (a block of columns of `C`).
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn small_m_avx512_raw(g: &Geom, a: &[f32], b: &[f32], c: *mut f32) {
        // SAFETY: the target features are enabled on this function; the caller guarantees
        // that every element of A and B lies in `a` and `b`, every element of C after `c`
        // that `g` reaches is valid and written by nobody else, and `B`'s unit column stride.
        unsafe { body::<Avx512>(g, a.as_ptr(), b.as_ptr(), c) }
    }

    /// [`small_m_avx2`] on an output pointer (a block of columns of `C`).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn small_m_avx2_raw(g: &Geom, a: &[f32], b: &[f32], c: *mut f32) {
        // SAFETY: as in `small_m_avx512_raw`, with the features `Avx2` needs.
        unsafe { body::<Avx2>(g, a.as_ptr(), b.as_ptr(), c) }
    }

    /// Walks `C` in row blocks of `S::ROW_BLOCKS` (of 8, 4, 2, 1 when `C` is one vector wide).
    ///
    /// Safety: `S`'s target features; for all `i < m`, `p < k`, `j < n` the offsets
    /// `i*rsa + p*csa`, `p*rsb + j` and `i*rsc + j*csc` are in bounds of `a`, `b` and `c`; `c`
    /// is not aliased.
    #[inline(always)]
    unsafe fn body<S: Simd>(g: &Geom, a: *const f32, b: *const f32, c: *mut f32) {
        let mut i = 0;
        let blocks: &[usize] = if g.n <= S::LANES { &NARROW_ROW_BLOCKS } else { S::ROW_BLOCKS };
        for &rows in blocks {
            while g.m - i >= rows {
                // SAFETY: rows i .. i + rows are < m; the rest is the contract of `body`.
                unsafe {
                    match rows {
                        8 => row_block::<S, 8>(g, a, b, c, i),
                        6 => row_block::<S, 6>(g, a, b, c, i),
                        4 => row_block::<S, 4>(g, a, b, c, i),
                        2 => row_block::<S, 2>(g, a, b, c, i),
                        _ => row_block::<S, 1>(g, a, b, c, i),
                    }
                }
                i += rows;
            }
        }
    }

    /// Rows `i0 .. i0 + R` of `C`, in panels of as many whole vectors as fit in `MAX_ACC / R`
    /// registers (a power of two), then one masked vector for the last `n mod LANES` columns.
    ///
    /// Safety: as [`body`], and `i0 + R <= m`.
    #[inline(always)]
    unsafe fn row_block<S: Simd, const R: usize>(
        g: &Geom,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        i0: usize,
    ) {
        let max_nv = S::MAX_ACC / R;
        let mut j = 0;
        while j < g.n {
            let nv = ((g.n - j) / S::LANES).min(max_nv);
            // SAFETY: each call covers columns j .. j + width <= n (`width` is the value
            // added to `j` below), rows i0 .. i0 + R <= m; the rest is the contract of `body`.
            let width = unsafe {
                match nv {
                    16.. => block::<S, R, 16>(g, a, b, c, i0, j, 0),
                    8.. => block::<S, R, 8>(g, a, b, c, i0, j, 0),
                    6.. => block::<S, R, 6>(g, a, b, c, i0, j, 0),
                    4.. => block::<S, R, 4>(g, a, b, c, i0, j, 0),
                    3 => block::<S, R, 3>(g, a, b, c, i0, j, 0),
                    2 => block::<S, R, 2>(g, a, b, c, i0, j, 0),
                    1 => block::<S, R, 1>(g, a, b, c, i0, j, 0),
                    _ => block::<S, R, 1>(g, a, b, c, i0, j, g.n - j),
                }
            };
            j += width;
        }
    }

    /// `C[i0..i0+R, j0..j0+w] ← α A[i0..i0+R, :] · B[:, j0..j0+w] + β C[..]` with the block in
    /// `R × NV` registers. `w` is `NV · LANES` when `tail == 0`; otherwise `NV == 1` and
    /// `w = tail < LANES` (masked). Returns `w`.
    ///
    /// Safety: as [`body`], `i0 + R <= m` and `j0 + w <= n`.
    #[inline(always)]
    unsafe fn block<S: Simd, const R: usize, const NV: usize>(
        g: &Geom,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        i0: usize,
        j0: usize,
        tail: usize,
    ) -> usize {
        // SAFETY: (whole body) every pointer formed below is `x.add(off)` with `off` one of
        // the offsets the contract puts in bounds: A offsets use rows i0 + r < m and p < k,
        // B offsets p < k and columns j0 .. j0 + w <= n (contiguous because csb == 1 or
        // w == n == 1), C offsets rows < m and columns < n. Partial loads and stores touch only
        // the first `tail` lanes. Prefetches may name any address: they read nothing and never
        // fault. The target features come from the caller.
        unsafe {
            let mut acc = [[S::splat(0.0); NV]; R];
            let mut a_off = [0usize; R];
            for (r, off) in a_off.iter_mut().enumerate() {
                *off = (i0 + r) * g.rsa;
            }
            let mut b_off = j0;
            for _ in 0..g.k {
                if R == 1 {
                    // `wrapping_add`: past the last rows the address is outside `B`, which a
                    // prefetch may name (it never faults) but `add` may not form.
                    for v in 0..NV {
                        let ahead = b_off + v * S::LANES + PREFETCH_ROWS * g.rsb;
                        _mm_prefetch::<_MM_HINT_T0>(b.wrapping_add(ahead) as *const i8);
                    }
                }
                let mut bv = [S::splat(0.0); NV];
                for (v, bv) in bv.iter_mut().enumerate() {
                    let p = b.add(b_off + v * S::LANES);
                    *bv = if tail == 0 { S::load(p) } else { S::load_partial(p, tail) };
                }
                for r in 0..R {
                    let x = S::splat(*a.add(a_off[r]));
                    for v in 0..NV {
                        acc[r][v] = S::fmadd(x, bv[v], acc[r][v]);
                    }
                    a_off[r] += g.csa;
                }
                b_off += g.rsb;
            }

            let (alpha, beta) = (S::splat(g.alpha), S::splat(g.beta));
            for (r, acc_row) in acc.iter().enumerate() {
                let row = (i0 + r) * g.rsc;
                for (v, &s) in acc_row.iter().enumerate() {
                    let col = j0 + v * S::LANES;
                    if g.csc == 1 {
                        let p = c.add(row + col);
                        let out = if g.beta == 0.0 {
                            S::mul(alpha, s)
                        } else if tail == 0 {
                            S::fmadd(beta, S::load(p), S::mul(alpha, s))
                        } else {
                            S::fmadd(beta, S::load_partial(p, tail), S::mul(alpha, s))
                        };
                        if tail == 0 {
                            S::store(p, out);
                        } else {
                            S::store_partial(p, tail, out);
                        }
                    } else {
                        let mut lanes = [0.0f32; 16];
                        S::store(lanes.as_mut_ptr(), s);
                        let len = if tail == 0 { S::LANES } else { tail };
                        for (l, &s) in lanes[..len].iter().enumerate() {
                            let p = c.add(row + (col + l) * g.csc);
                            *p = if g.beta == 0.0 { g.alpha * s } else { g.alpha * s + g.beta * *p };
                        }
                    }
                }
            }
            if tail == 0 {
                NV * S::LANES
            } else {
                tail
            }
        }
    }
}
