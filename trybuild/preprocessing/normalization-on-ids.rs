shaped::model! {
    struct Net {
        input: u32[8],
        Normalization,
        Dense(2),
    }
}

fn main() {}
