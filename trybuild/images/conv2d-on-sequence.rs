shaped::model! {
    struct Net {
        input: [None, 12],
        Conv2d(8, 3),
        GlobalAvgPool1d,
        Dense(2),
    }
}

fn main() {}
