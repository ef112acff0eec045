shaped::model! {
    struct Net {
        input: [28, 28, 1],
        Conv2d(8, 3, strides = 2, dilation_rate = 1),
        Flatten,
        Dense(10),
    }
}

fn main() {}
