use shaped::prelude::*;

shaped::model! {
    struct Shop {
        input features: [8],
        hidden: Dense(16, activation = relu)(features),
        output rating: Dense(1)(hidden),
        output click: Dense(1, activation = sigmoid)(hidden),
    }
}

fn main() -> shaped::Result<()> {
    let _model = Shop::new(0).compile(
        Adam::default(),
        ShopLosses {
            rating: OutputLoss::new(MeanSquaredError),
            clicks: OutputLoss::new(BinaryCrossentropy::default()),
        },
    )?;
    Ok(())
}
