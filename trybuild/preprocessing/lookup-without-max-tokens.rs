// Keras learns the width of a one-hot `StringLookup` from `adapt`; here the compiler needs it.
shaped::model! {
    struct Penguins {
        input island: String[1],
        input bill: [1],
        i: StringLookup(output_mode = one_hot)(island),
        both: Concatenate()(i, bill),
        output species: Dense(3, activation = softmax)(both),
    }
}

fn main() {}
