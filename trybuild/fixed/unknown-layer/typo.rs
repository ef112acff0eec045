// The fix that the error of `trybuild/unknown-layer/typo.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        Dense(10),
    }
}

fn main() {}
