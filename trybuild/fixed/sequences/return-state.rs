// The fix that the error of `trybuild/sequences/return-state.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 12],
        Lstm(8),
        Dense(2),
    }
}

fn main() {}
