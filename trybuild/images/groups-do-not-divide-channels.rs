shaped::model! {
    struct Net {
        input: [8, 8, 6],
        Conv2d(8, 3, groups = 4),
        Flatten,
        Dense(10),
    }
}

fn main() {}
