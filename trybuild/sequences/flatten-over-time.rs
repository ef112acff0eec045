// Keras only fails when it builds the Dense: "Shapes used to initialize variables must be
// fully-defined (no None dimensions)".
shaped::model! {
    struct Net {
        input: [None, 12],
        Lstm(8, return_sequences = true),
        Flatten,
        Dense(2),
    }
}

fn main() {}
