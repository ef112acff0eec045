shaped::model! {
    struct Net {
        input: [64],
        Reshape([8, 8, 1]),
        Conv2d(8, 3),
        Flatten,
        Dense(10),
    }
}

fn main() {}
