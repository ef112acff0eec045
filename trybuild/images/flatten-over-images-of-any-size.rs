shaped::model! {
    struct Net {
        input: [None, None, 1],
        Conv2d(8, 3, activation = relu),
        Flatten,
        Dense(10),
    }
}

fn main() {}
