const HIDDEN: usize = 0;

shaped::model! {
    struct Net {
        input: [8],
        Dense(HIDDEN, activation = relu),
        Dense(1),
    }
}

fn main() {}
