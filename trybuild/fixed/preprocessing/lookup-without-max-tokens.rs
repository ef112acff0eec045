// The fix that the error of `trybuild/preprocessing/lookup-without-max-tokens.rs` suggests, applied: it compiles.
shaped::model! {
    struct Penguins {
        input island: String[1],
        input bill: [1],
        i: StringLookup(max_tokens = 8, output_mode = one_hot)(island),
        both: Concatenate()(i, bill),
        output species: Dense(3, activation = softmax)(both),
    }
}

fn main() {}
