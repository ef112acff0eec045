shaped::model! {
    struct Shop {
        input colour: u32[1],
        input size: [3],
        c: CategoryEncoding(5, output_mode = one_hot)(colour),
        s: Dense(4, activation = relu)(size),
        both: Add()(c, s),
        output buy: Dense(1, activation = sigmoid)(both),
    }
}

fn main() {}
