shaped::model! {
    struct Recommender {
        input user: u32[1],
        user_vec: Embedding(1000, 16)(user),
        flat: Flatten()(user_vec),
        output score: Dense(1)(flat),
    }
}

fn main() {}
