// The fix that the error of `trybuild/args/dense-zero-units.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        Dense(1),
    }
}

fn main() {}
