shaped::model! {
    struct Net {
        input: [64],
        Dense(10, activation = sofmax),
    }
}

fn main() {}
