shaped::model! {
    struct Net {
        input: [64],
        Conv2d(8, 3),
        Flatten,
        Dense(10),
    }
}

fn main() {}
