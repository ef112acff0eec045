shaped::model! {
    struct Net {
        input x: [8],
        head: Dense(4)(hidden),
        hidden: Dense(16, activation = relu)(x),
        output score: Dense(1)(head),
    }
}

fn main() {}
