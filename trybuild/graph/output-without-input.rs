shaped::model! {
    struct Net {
        input x: [8],
        hidden: Dense(16, activation = relu)(x),
        output score: Dense(1)(hidden),
        output bias: Dense(1)(),
    }
}

fn main() {}
