shaped::model! {
    struct Net {
        input: [None, 12],
        GRU(32),
    }
}

fn main() {}
