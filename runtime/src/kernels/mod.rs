//! Numeric kernels.
//!
//! - [`gemm`]: matrix multiplication `C ← α A B + β C` and the contiguous conveniences the
//!   layers call ([`matmul`], [`matmul_at_b`], [`matmul_a_bt`]). The only caller of
//!   `matrixmultiply` in the project.
//! - [`rowwise`]: a row broadcast into or added to every row, column sums, transposition (the
//!   bias and bookkeeping steps around the gemms of Dense and the recurrent layers).
//! - [`im2col`](mod@im2col): the window copies (and their adjoint) that make a convolution one
//!   gemm.
//! - [`short_run`]: copies and fills of short runs without a library call per run.
//! - [`activation`]: branch-free `tanh` and `sigmoid` that vectorise (the recurrent gates).
//! - [`elementwise`]: the Adam step and the finiteness scan, vectorised per CPU.
//! - [`lstm_gates`]: the default LSTM's gate math of one row, forward and backward, vectorised
//!   per CPU.
//! - [`threads`]: how many threads the kernels use, and the helpers that share a product's
//!   rows or columns with the caller.
//! - [`reference`](mod@reference): a naive triple-loop gemm that tests check the fast paths
//!   against.
//!
//! Arguments follow matrixmultiply's vocabulary: `A` is `m × k`, `B` is `k × n`, `C` is `m × n`,
//! and `rs*`/`cs*` are row and column strides in elements.

pub mod activation;
pub mod elementwise;
pub mod gemm;
pub mod im2col;
pub mod lstm_gates;
pub mod reference;
pub mod rowwise;
pub mod short_run;
pub mod threads;

pub use gemm::{matmul, matmul_a_bt, matmul_a_bt_with, matmul_at_b, matmul_at_b_strided, sgemm};
pub use reference::gemm_reference;
