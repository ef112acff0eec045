// The fix that the error of `trybuild/sequences/pooling-on-none-input.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 1],
        GlobalAvgPool1d,
        Dense(1),
    }
}

fn main() {}
