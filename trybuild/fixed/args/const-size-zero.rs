const HIDDEN: usize = 16;

shaped::model! {
    struct Net {
        input: [8],
        Dense(HIDDEN, activation = relu),
        Dense(1),
    }
}

fn main() {}
