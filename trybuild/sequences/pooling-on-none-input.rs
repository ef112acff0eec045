shaped::model! {
    struct Net {
        input: [None],
        GlobalAvgPool1d,
        Dense(1),
    }
}

fn main() {}
