use shaped::prelude::*;

shaped::model! {
    struct Shop {
        input user: u32[1],
        input features: [8],
        user_vec: Embedding(100, 4)(user),
        user_flat: Flatten()(user_vec),
        both: Concatenate()(user_flat, features),
        output rating: Dense(1)(both),
        output click: Dense(1, activation = sigmoid)(both),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let x = vec![ShopInput { user: 3, features: [0.5; 8] }; 4];
    let y: Vec<ShopLabels<[f32; 1], [f32; 1]>> = vec![ShopLabels { rating: [1.0], click: [0.0] }; 4];
    let mut model = Shop::new(0).compile(
        Adam::default(),
        ShopLosses {
            rating: OutputLoss::new(MeanSquaredError),
            click: OutputLoss::new(BinaryCrossentropy::default()).with_metrics([Accuracy]),
        },
    )?;
    model.summary();
    model.fit(&x, &y, FitOptions::default())?;
    let _scores = model.evaluate(&x, &y)?;
    let _predictions: Vec<ShopOutput> = model.predict(&x)?;
    let path = std::env::temp_dir().join(format!("shaped-fixed-shop-{}.safetensors", std::process::id()));
    model.save_weights(&path)?;
    std::fs::remove_file(&path)?;
    Ok(())
}
