// `StringLookup` on a column declared as numbers.
shaped::model! {
    struct Net {
        input: [1],
        StringLookup(max_tokens = 4),
        Embedding(4, 2),
        Flatten,
        Dense(1, activation = sigmoid),
    }
}

fn main() {}
