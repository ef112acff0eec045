shaped::model! {
    struct Net {
        input: [64],
        hidden: Dense(128, activation = relu),
        hidden: Dense(10),
    }
}

fn main() {}
