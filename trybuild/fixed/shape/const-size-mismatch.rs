const FEATURES: usize = 10;
const HIDDEN: usize = 6;

shaped::model! {
    struct Net {
        input: [FEATURES],
        Dense(HIDDEN, activation = relu),
        Reshape([3, 2]),
        Dense(1),
    }
}

fn main() {}
