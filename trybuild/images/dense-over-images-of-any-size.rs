shaped::model! {
    struct Net {
        input: [None, None, 1],
        Conv2d(8, 3, activation = relu),
        Dense(10),
    }
}

fn main() {}
