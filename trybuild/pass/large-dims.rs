// Dims beyond typenum's named aliases (U1024) work: the macro writes any size bit by bit.
shaped::model! {
    struct Wide {
        input: [3000],
        Dense(1500),
        Reshape([-1, 3]),
    }
}

type Big = shaped::dim!(50000);

fn main() {
    use shaped::typenum::Unsigned;
    assert_eq!(Big::USIZE, 50000);
    let _ = Wide::new(0);
}
