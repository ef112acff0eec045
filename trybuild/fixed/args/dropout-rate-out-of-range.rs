// The fix that the error of `trybuild/args/dropout-rate-out-of-range.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        Dropout(0.2),
    }
}

fn main() {}
