// The seed's `Input(shape=(None,))` then `LSTM(128)`: Keras fails at run time with "expected
// ndim=3, found ndim=2".
shaped::model! {
    struct Net {
        input: [None],
        Lstm(128),
        Dense(1, activation = sigmoid),
    }
}

fn main() {}
