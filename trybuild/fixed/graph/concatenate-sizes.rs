shaped::model! {
    struct Pair {
        input a: [4, 8],
        input b: [5, 8],
        both: Concatenate(axis = 1)(a, b),
        output score: Dense(1)(both),
    }
}

fn main() {}
