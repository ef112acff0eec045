// The fix that the error of `trybuild/shape/reshape-element-count.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [32],
        Dense(64),
        Reshape([4, 16]),
    }
}

fn main() {}
