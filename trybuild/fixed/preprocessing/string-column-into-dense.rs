// The fix that the error of `trybuild/preprocessing/string-column-into-dense.rs` suggests, applied: it compiles.
shaped::model! {
    struct Penguins {
        input island: String[1],
        input bill: [1],
        island_one_hot: StringLookup(max_tokens = 8, output_mode = one_hot)(island),
        i: Dense(8)(island_one_hot),
        b: Dense(8)(bill),
        both: Concatenate()(i, b),
        output species: Dense(3, activation = softmax)(both),
    }
}

fn main() {}
