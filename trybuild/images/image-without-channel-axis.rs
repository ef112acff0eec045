shaped::model! {
    struct Net {
        input: [28, 28],
        Conv2d(32, 3),
        Flatten,
        Dense(10),
    }
}

fn main() {}
