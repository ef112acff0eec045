// The fix that the error of `trybuild/sequences/rnn-after-vector.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        Dense(128, activation = relu),
        Reshape([128, 1]),
        Lstm(64),
        Dense(10, activation = softmax),
    }
}

fn main() {}
