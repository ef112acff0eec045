shaped::model! {
    struct Shop {
        input colour: u32[1],
        input size: [3],
        c: CategoryEncoding(5, output_mode = one_hot)(colour),
        s: Dense(4, activation = relu)(size),
        s_5: Dense(5)(s),
        both: Add()(c, s_5),
        output buy: Dense(1, activation = sigmoid)(both),
    }
}

fn main() {}
