//! Tables inside the model: string columns through `StringLookup` and `Hashing`, integer
//! columns through `IntegerLookup`, numbers that may be missing through `Normalization` (mean
//! filled) and `MissingIndicator`, rows read from a CSV by `Table::rows`, and the learned
//! vocabularies kept by whole-model files. Layer-by-layer agreement with Keras is in
//! `tests/lookup_layers.rs`.

use shaped::data::Table;
use shaped::prelude::*;
use shaped::testing::assert_close;

shaped::model! {
    /// A colour, a size that may be missing and a shop code.
    struct Shop {
        input colour: String[1],
        input size: Option<f32>[1],
        input city: Option<String>[1],
        colour_hot: StringLookup(max_tokens = 4, output_mode = one_hot)(colour),
        city_bin: Hashing(num_bins = 5, output_mode = one_hot)(city),
        scaled: Normalization()(size),
        missing: MissingIndicator()(size),
        features: Concatenate()(colour_hot, city_bin, scaled, missing),
        output price: Dense(1)(features),
    }
}

shaped::model! {
    /// The same with a wider colour lookup: another architecture.
    struct WideShop {
        input colour: String[1],
        input size: Option<f32>[1],
        input city: Option<String>[1],
        colour_hot: StringLookup(max_tokens = 5, output_mode = one_hot)(colour),
        city_bin: Hashing(num_bins = 5, output_mode = one_hot)(city),
        scaled: Normalization()(size),
        missing: MissingIndicator()(size),
        features: Concatenate()(colour_hot, city_bin, scaled, missing),
        output price: Dense(1)(features),
    }
}

shaped::model! {
    /// Words as indices, embedded.
    struct Words {
        input word: String[1],
        ids: StringLookup(max_tokens = 6)(word),
        vectors: Embedding(6, 3)(ids),
        flat: Flatten()(vectors),
        output class: Dense(2, activation = softmax)(flat),
    }
}

shaped::model! {
    /// Any number of codes per sample, counted by vocabulary index.
    struct Codes {
        input: u32[None],
        IntegerLookup(max_tokens = 5, output_mode = count),
    }
}

shaped::model! {
    /// A penguin's bill length, declared as never missing.
    struct Bills {
        input island: String[1],
        input bill_length_mm: [1],
        island_hot: StringLookup(max_tokens = 4, output_mode = one_hot)(island),
        both: Concatenate()(island_hot, bill_length_mm),
        output species: Dense(3, activation = softmax)(both),
    }
}

fn shop(colour: &str, size: Option<f32>, city: Option<&str>) -> ShopInput {
    ShopInput { colour: colour.into(), size, city: city.map(String::from) }
}

fn rows() -> Vec<ShopInput> {
    vec![
        shop("red", Some(1.0), Some("Oslo")),
        shop("blue", None, Some("Lima")),
        shop("red", Some(3.0), None),
        shop("green", Some(5.0), Some("Oslo")),
        shop("blue", Some(3.0), Some("Pune")),
    ]
}

/// The weights named `name` (the first such tensor).
fn weight(model: &impl Network, name: &str) -> Vec<f32> {
    let mut found = Vec::new();
    model.visit_weights(&mut |p| {
        if found.is_empty() && p.name.ends_with(name) {
            found.extend_from_slice(p.data);
        }
    });
    found
}

#[test]
fn a_missing_number_is_the_mean_of_the_present_ones_and_is_marked() {
    let mut model = Shop::new(0);
    model.adapt(&rows()).unwrap();
    // Mean and population variance of 1, 3, 5, 3: the missing size is not data.
    assert_close(&weight(&model, "mean"), &[3.0], 1e-6);
    assert_close(&weight(&model, "variance"), &[2.0], 1e-6);
    // A missing size predicts what the mean does, but for the indicator's weight: zero the
    // indicator's weight and the two agree exactly.
    let mut model = model.compile(Sgd::default(), MeanSquaredError, []).unwrap();
    let missing = model.predict(&[shop("red", None, Some("Oslo"))]).unwrap();
    let at_mean = model.predict(&[shop("red", Some(3.0), Some("Oslo"))]).unwrap();
    let kernel = weight(model.model(), "kernel");
    // Features: 4 colours, 5 bins, the scaled size, the indicator (last).
    let indicator = kernel[10];
    assert_close(&[missing[0][0] - indicator], &[at_mean[0][0]], 1e-6);
}

#[test]
fn the_encodings_are_keras_s_and_unseen_strings_are_out_of_vocabulary() {
    let mut model = Shop::new(0);
    model.adapt(&rows()).unwrap();
    let kernel = weight(&model, "kernel");
    let mut colour = |c: &str| {
        let base = ShopInput { colour: c.into(), size: Some(3.0), city: Some("Oslo".into()) };
        model.predict(&[base]).unwrap()[0][0]
    };
    // Colour indices: OOV 0, then red and blue (2 each; the larger token first), then green;
    // each moves the output by its one-hot column's weight.
    assert_close(&[colour("red") - colour("purple")], &[kernel[1] - kernel[0]], 1e-6);
    assert_close(&[colour("blue") - colour("red")], &[kernel[2] - kernel[1]], 1e-6);
    assert_close(&[colour("green") - colour("blue")], &[kernel[3] - kernel[2]], 1e-6);
}

#[test]
fn a_batch_predicts_what_each_row_predicts_alone() {
    let mut model = Shop::new(3);
    model.adapt(&rows()).unwrap();
    let together = model.predict(&rows()).unwrap();
    for (i, row) in rows().into_iter().enumerate() {
        assert_eq!(model.predict(&[row]).unwrap()[0], together[i], "row {i}");
    }
}

#[test]
fn a_lookup_never_adapted_is_an_err_not_a_model_of_unknown_tokens() {
    let mut model = Shop::new(0);
    let err = model.predict(&rows()).unwrap_err().to_string();
    assert!(err.contains("`StringLookup` has no vocabulary yet: call `model.adapt(&x)`"), "{err}");
    let mut compiled = Shop::new(0).compile(Sgd::default(), MeanSquaredError, []).unwrap();
    let y = vec![[1.0f32]; 5];
    let err =
        compiled.fit(&rows(), &y, FitOptions { verbose: Verbose::Silent, ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("model.adapt"), "{err}");
}

#[test]
fn adapt_refuses_more_categories_than_max_tokens_holds() {
    let mut x = rows();
    x.push(shop("pink", Some(1.0), None));
    x.push(shop("teal", Some(1.0), None));
    let mut model = Shop::new(0);
    let err = model.adapt(&x).unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid `x`: layer `colour_hot` (StringLookup): the data holds 5 distinct tokens, but `StringLookup(max_tokens = 4)` has room for 3 (1 index for out-of-vocabulary tokens); declare it with max_tokens = 6"
    );
}

#[test]
fn the_whole_model_file_keeps_the_vocabulary_and_the_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.safetensors");
    let mut model = Shop::new(1);
    model.adapt(&rows()).unwrap();
    let mut model = model.compile(Adam::default(), MeanSquaredError, []).unwrap();
    let y: Vec<[f32; 1]> = (0..5).map(|i| [i as f32]).collect();
    model.fit(&rows(), &y, FitOptions { epochs: 3, verbose: Verbose::Silent, ..Default::default() }).unwrap();
    model.model().save_model(&path).unwrap();
    let mut loaded = Shop::new(9);
    loaded.load_model(&path).unwrap();
    assert_eq!(loaded.predict(&rows()).unwrap(), model.predict(&rows()).unwrap());
    // Another width is another architecture: an Err naming the argument, the model untouched.
    let err = WideShop::new(0).load_model(&path).unwrap_err().to_string();
    assert!(err.contains("max_tokens"), "{err}");
}

#[test]
fn lookup_indices_feed_an_embedding_that_trains() {
    let words: Vec<String> = ["cat", "dog", "cat", "owl", "dog", "cat"].map(String::from).to_vec();
    let y: Vec<u32> = vec![0, 1, 0, 1, 1, 0];
    let mut model = Words::new(0);
    model.adapt(&words).unwrap();
    let mut model = model
        .compile(
            Adam { learning_rate: 0.1f32.into(), ..Default::default() },
            SparseCategoricalCrossentropy::default(),
            [Accuracy],
        )
        .unwrap();
    let history = model
        .fit(&words, &y, FitOptions { epochs: 30, verbose: Verbose::Silent, ..Default::default() })
        .unwrap();
    let loss = history.get("loss").unwrap();
    assert!(loss[loss.len() - 1] < 0.1 * loss[0], "{loss:?}");
}

#[test]
fn integer_lookup_counts_real_positions_only() {
    let x: Vec<Vec<u32>> = vec![vec![7, 7, 3], vec![3], vec![9, 7]];
    let mut model = Codes::new(0);
    model.adapt(&x).unwrap();
    // Vocabulary: 7 (3 times), 3 (twice), 9; OOV at 0.
    let together = model.predict(&x).unwrap();
    assert_eq!(
        together,
        vec![[0.0, 2.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0, 0.0]]
    );
    for (i, sample) in x.iter().enumerate() {
        assert_eq!(model.predict(std::slice::from_ref(sample)).unwrap()[0], together[i]);
    }
}

#[test]
fn rows_come_from_a_csv_by_column_name() {
    let table =
        Table::from_csv_str("size,colour,city,extra\n1.5,red,Oslo,x\nNA,blue,,y\n", "shop.csv").unwrap();
    let rows: Vec<ShopInput> = table.rows().unwrap();
    assert_eq!(rows, vec![shop("red", Some(1.5), Some("Oslo")), shop("blue", None, None)]);
}

#[test]
fn a_missing_value_in_a_column_declared_complete_names_line_column_and_value() {
    let table = Table::read_csv(concat!(env!("CARGO_MANIFEST_DIR"), "/data/penguins.csv")).unwrap();
    let err = table.rows::<BillsInput>().unwrap_err().to_string();
    assert_eq!(
        err.replace(env!("CARGO_MANIFEST_DIR"), ""),
        "/data/penguins.csv, line 5, column `bill_length_mm`: \"NA\" is missing; declare the input as `Option<f32>[1]` to let `Normalization` fill it with the mean"
    );
}
