shaped::model! {
    struct Net {
        input: [8, 8, 1],
        Conv2d(8, 3, activation = relu),
        MaxPool2d(2),
        Conv2d(16, 5, padding = same),
        Flatten,
        Dense(10),
    }
}

fn main() {}
