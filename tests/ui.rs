//! The compile-time checks, as a user meets them: every mistake under `trybuild/` must fail
//! with exactly the reviewed `.stderr` beside it; every case under `trybuild/pass/` must build
//! and run.
//!
//! The `.stderr` files were written with the compiler pinned in `rust-toolchain.toml`. To
//! update them after a deliberate change: `TRYBUILD=overwrite cargo test --test ui`, then read
//! every diff as a user would.

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    for topic in [
        "input",
        "shape",
        "unknown-layer",
        "activation",
        "args",
        "duplicate",
        "custom",
        "data",
        "labels",
        "sequences",
        "multiple",
        "fallback",
    ] {
        t.compile_fail(format!("trybuild/{topic}/*.rs"));
    }
}

#[test]
fn compile_pass() {
    trybuild::TestCases::new().pass("trybuild/pass/*.rs");
}
