// Keras returns a go_backwards sequence last-first but keeps the mask first-last: on padded
// batches the two no longer line up, and the padding leaks into what follows.
shaped::model! {
    struct Net {
        input: [None, 12],
        Lstm(8, return_sequences = true, go_backwards = true),
        GlobalAvgPool1d,
        Dense(2),
    }
}

fn main() {}
