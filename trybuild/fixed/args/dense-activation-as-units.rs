// The fix that the error of `trybuild/args/dense-activation-as-units.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        Dense(64, activation = relu),
    }
}

fn main() {}
