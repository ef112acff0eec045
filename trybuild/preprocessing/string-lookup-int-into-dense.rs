// `StringLookup` gives each string's index (`output_mode = int`, the default), which `Dense`
// would read as a magnitude.
shaped::model! {
    struct Net {
        input: String[1],
        StringLookup(max_tokens = 8),
        Dense(3, activation = softmax),
    }
}

fn main() {}
