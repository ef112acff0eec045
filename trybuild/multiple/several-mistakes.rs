// Every mistake is reported in one build.
shaped::model! {
    struct Net {
        input: [64],
        hidden: Dense(128, activation = relu),
        Dropout(1.5),
        hidden: Dense(10, activation = sofmax),
        Dence(10),
    }
}

fn main() {}
