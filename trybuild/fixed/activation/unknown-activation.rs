// The fix that the error of `trybuild/activation/unknown-activation.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        Dense(10, activation = softmax),
    }
}

fn main() {}
