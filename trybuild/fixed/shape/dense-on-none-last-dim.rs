// The fix that the error of `trybuild/shape/dense-on-none-last-dim.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [None, 12],
        Dense(10),
    }
}

fn main() {}
