// The fix that the error of `trybuild/input/missing-input.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [10],
        Dense(64, activation = relu),
        Dense(10),
    }
}

fn main() {}
