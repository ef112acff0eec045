shaped::model! {
    struct Net {
        input: u32[None],
        Embedding(20_000_000, 16),
        GlobalAvgPool1d,
    }
}

fn main() {}
