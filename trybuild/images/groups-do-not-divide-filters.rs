shaped::model! {
    struct Net {
        input: [8, 8, 8],
        Conv2d(10, 3, groups = 4),
        Flatten,
        Dense(10),
    }
}

fn main() {}
