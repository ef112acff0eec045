// The fix that the error of `trybuild/shape/dense-on-none-input.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 1],
        Dense(10),
    }
}

fn main() {}
