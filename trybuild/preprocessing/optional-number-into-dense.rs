// A column with missing values read by `Dense`: a missing value would reach the weights as NaN.
shaped::model! {
    struct Penguins {
        input island: String[1],
        input bill: Option<f32>[1],
        i: StringLookup(max_tokens = 8, output_mode = one_hot)(island),
        b: Dense(4)(bill),
        both: Concatenate()(i, b),
        output species: Dense(3, activation = softmax)(both),
    }
}

fn main() {}
