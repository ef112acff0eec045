// The fix that the error of `trybuild/args/unknown-keyword.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        Dense(10, activation = relu),
    }
}

fn main() {}
