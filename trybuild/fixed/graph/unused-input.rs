shaped::model! {
    struct Net {
        input x: [8],
        hidden: Dense(16, activation = relu)(x),
        output score: Dense(1)(hidden),
    }
}

fn main() {}
