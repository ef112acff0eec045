// The fix that the error of `trybuild/preprocessing/optional-number-into-dense.rs` suggests, applied: it compiles.
shaped::model! {
    struct Penguins {
        input island: String[1],
        input bill: Option<f32>[1],
        i: StringLookup(max_tokens = 8, output_mode = one_hot)(island),
        bill_filled: Normalization()(bill),
        b: Dense(4)(bill_filled),
        both: Concatenate()(i, b),
        output species: Dense(3, activation = softmax)(both),
    }
}

fn main() {}
