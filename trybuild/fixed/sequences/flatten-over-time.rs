// The fix that the error of `trybuild/sequences/flatten-over-time.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 12],
        Lstm(8, return_sequences = true),
        GlobalAvgPool1d,
        Dense(2),
    }
}

fn main() {}
