shaped::model! {
    struct Net {
        input: [64],
        Dence(10),
    }
}

fn main() {}
