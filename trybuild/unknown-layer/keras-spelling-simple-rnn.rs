shaped::model! {
    struct Net {
        input: [None, 12],
        SimpleRNN(32),
    }
}

fn main() {}
