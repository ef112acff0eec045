shaped::model! {
    struct Net {
        input x: [8],
        hidden: Dense(16, activation = relu)(x),
        head: Dense(4)(hidden),
        output score: Dense(1)(head),
    }
}

fn main() {}
