// The fix that the error of `trybuild/args/python-bool.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        Dense(10, use_bias = false),
    }
}

fn main() {}
