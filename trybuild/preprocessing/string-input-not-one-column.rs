// Three strings per sample in one input, where each column of a table is an input of its own.
shaped::model! {
    struct Net {
        input words: String[3],
        codes: StringLookup(max_tokens = 8, output_mode = multi_hot)(words),
        output score: Dense(1, activation = sigmoid)(codes),
    }
}

fn main() {}
