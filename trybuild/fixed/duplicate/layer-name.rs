// The fix that the error of `trybuild/duplicate/layer-name.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input: [64],
        hidden: Dense(128, activation = relu),
        output: Dense(10),
    }
}

fn main() {}
