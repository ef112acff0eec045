shaped::model! {
    struct Net {
        input: [8, 8, 1],
        Conv2d(4, 3),
        MaxPool2d(2),
        MaxPool2d(4, padding = same),
        Flatten,
        Dense(10),
    }
}

fn main() {}
