shaped::model! {
    struct Shop {
        input user: u32[1],
        input features: [8],
        user_vec: Embedding(100, 4)(user),
        user_flat: Flatten()(user_vec),
        both: Concatenate()(user_flat, features),
        output rating: Dense(1)(both),
    }
}

fn main() -> shaped::Result<()> {
    let mut model = Shop::new(0);
    let x = vec![ShopInput { user: 3, features: [0.5; 8] }];
    let _ratings: Vec<[f32; 1]> = model.predict(&x)?;
    Ok(())
}
