//! Naive reference gemm, `C ← α A B + β C`, for checking the fast paths in
//! [`super::gemm`].
//!
//! It exists as a reference for correctness tests, not for use in layers: it is a plain triple
//! loop with no blocking and no SIMD. It is public so that integration tests, benches and users'
//! own tests compare against the same definition.
//!
//! Each dot product is accumulated in f64 and rounded to f32 once, after scaling, so the
//! reference is accurate to about one f32 rounding whatever the summation order of the kernel
//! under test. Compare with [`crate::testing::assert_close`] and a tolerance that grows with `k`
//! (the f32 kernels accumulate a rounding error of order `k · ε · Σ|a·b|`).

/// `C ← α A B + β C` computed naively, with the same arguments and contract as
/// [`super::gemm::sgemm`].
///
/// - `A` is `m × k`: element `(i, p)` is `a[i * rsa + p * csa]`.
/// - `B` is `k × n`: element `(p, j)` is `b[p * rsb + j * csb]`.
/// - `C` is `m × n`: element `(i, j)` is `c[i * rsc + j * csc]`.
///
/// `C[i, j] = α Σ_p A[i, p] B[p, j] + β C[i, j]`, with the sum in f64. When `beta == 0`, `C` is
/// not read (it may hold NaN). Elements of `c` that are not part of `C` are left untouched.
///
/// # Panics
///
/// If a stride is negative or an index falls outside its slice (through ordinary slice
/// indexing).
#[allow(clippy::too_many_arguments)]
pub fn gemm_reference(
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
    let stride = |s: isize, name: &str| -> usize {
        usize::try_from(s)
            .unwrap_or_else(|_| panic!("gemm_reference: stride {name} must be non-negative, got {s}"))
    };
    let (rsa, csa) = (stride(rsa, "rsa"), stride(csa, "csa"));
    let (rsb, csb) = (stride(rsb, "rsb"), stride(csb, "csb"));
    let (rsc, csc) = (stride(rsc, "rsc"), stride(csc, "csc"));
    for i in 0..m {
        for j in 0..n {
            let dot: f64 =
                (0..k).map(|p| f64::from(a[i * rsa + p * csa]) * f64::from(b[p * rsb + j * csb])).sum();
            let cij = &mut c[i * rsc + j * csc];
            let scaled = f64::from(alpha) * dot;
            *cij =
                if beta == 0.0 { scaled as f32 } else { (scaled + f64::from(beta) * f64::from(*cij)) as f32 };
        }
    }
}
