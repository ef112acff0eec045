shaped::model! {
    struct Siamese {
        input left: [8],
        input right: [6],
        tower: Dense(4, activation = tanh)(left),
        tower_right: tower(right),
        distance: Subtract()(tower, tower_right),
        output same: Dense(1, activation = sigmoid)(distance),
    }
}

fn main() {}
