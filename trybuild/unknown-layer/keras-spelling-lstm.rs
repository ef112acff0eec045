shaped::model! {
    struct Net {
        input: [None, 12],
        LSTM(64),
    }
}

fn main() {}
