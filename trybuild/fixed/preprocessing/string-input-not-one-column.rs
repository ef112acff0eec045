// The fix that the error of `trybuild/preprocessing/string-input-not-one-column.rs` suggests, applied: it compiles.
shaped::model! {
    struct Net {
        input words: String[1],
        codes: StringLookup(max_tokens = 8, output_mode = multi_hot)(words),
        output score: Dense(1, activation = sigmoid)(codes),
    }
}

fn main() {}
