shaped::model! {
    struct Pair {
        input a: [4, 8],
        input b: [5, 8],
        both: Concatenate()(a, b),
        output score: Dense(1)(both),
    }
}

fn main() {}
