shaped::model! {
    struct Residual {
        input features: [8],
        hidden: Dense(6, activation = relu)(features),
        features_6: Dense(6)(features),
        skip: Add()(hidden, features_6),
        output score: Dense(1)(skip),
    }
}

fn main() {}
