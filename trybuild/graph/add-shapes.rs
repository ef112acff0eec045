shaped::model! {
    struct Residual {
        input features: [8],
        hidden: Dense(6, activation = relu)(features),
        skip: Add()(hidden, features),
        output score: Dense(1)(skip),
    }
}

fn main() {}
