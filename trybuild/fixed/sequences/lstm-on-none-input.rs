// The fix that the error of `trybuild/sequences/lstm-on-none-input.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 1],
        Lstm(128),
        Dense(1, activation = sigmoid),
    }
}

fn main() {}
