// A table's column of strings read by `Dense` as if it held numbers.
shaped::model! {
    struct Penguins {
        input island: String[1],
        input bill: [1],
        i: Dense(8)(island),
        b: Dense(8)(bill),
        both: Concatenate()(i, b),
        output species: Dense(3, activation = softmax)(both),
    }
}

fn main() {}
