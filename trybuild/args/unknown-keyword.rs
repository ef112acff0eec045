shaped::model! {
    struct Net {
        input: [64],
        Dense(10, activaton = relu),
    }
}

fn main() {}
