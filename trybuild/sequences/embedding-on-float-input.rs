shaped::model! {
    struct Net {
        input: [None],
        Embedding(1000, 16),
        Lstm(32),
    }
}

fn main() {}
