// The fix that the error of `trybuild/multiple/several-mistakes.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        hidden: Dense(128, activation = relu),
        Dropout(0.2),
        output: Dense(10, activation = softmax),
        Dense(10),
    }
}

fn main() {}
