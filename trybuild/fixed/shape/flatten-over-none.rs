// The fix that the error of `trybuild/shape/flatten-over-none.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 12],
        GlobalAvgPool1d,
        Dense(10),
    }
}

fn main() {}
