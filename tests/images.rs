//! Images of any size through whole models (`input: [None, None, C]`): each batch is padded to
//! its largest image and masked, and every result at real positions is what each image gives
//! alone: predictions, and the weight gradients (seen through one plain SGD step: a batch's step
//! is the mean of its images' gradients, so it must land on the mean of the steps alone).
//! Images too small for the model, images with a wrong fixed side, and non-finite pixels are
//! errors that name the image.

use shaped::prelude::*;
use shaped::tensor::Image;

shaped::model! {
    /// Every spatial layer that sees a padded batch, in inference mode.
    struct AnySize {
        input: [None, None, 2],
        Conv2d(4, 3, strides = 2, padding = same, activation = relu),
        BatchNorm,
        MaxPool2d(2, padding = same),
        ZeroPadding2d(1),
        Conv2d(5, 2, activation = tanh),
        DepthwiseConv2d(2, padding = same),
        AvgPool2d(2, strides = 1, padding = same),
        LayerNorm,
        GlobalAvgPool2d,
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    /// Layers whose gradients do not couple the samples of a batch (no batch statistics).
    struct AnySizeTrain {
        input: [None, None, 1],
        Conv2d(3, 3, strides = 2, padding = same, activation = tanh),
        UpSampling2d(2),
        Cropping2d(((1, 0), (0, 1))),
        SeparableConv2d(4, 2, activation = tanh),
        MaxPool2d(2, padding = same),
        Conv2dTranspose(2, 2, strides = 2),
        GlobalMaxPool2d,
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    /// Per-pixel outputs (segmentation-like): each image's output keeps its own size.
    struct PerPixel {
        input: [None, None, 1],
        Conv2d(4, 3, padding = same, activation = relu),
        Conv2d(3, 1, activation = softmax),
    }
}

shaped::model! {
    /// Per-pixel outputs at half the size: the output's own rectangle, not the input's.
    struct Halved {
        input: [None, None, 1],
        Conv2d(2, 3, strides = 2, padding = same),
    }
}

/// An image of `h × w` pixels of `C` channels with values from `seed`.
fn image<const C: usize>(h: usize, w: usize, seed: u64) -> Image<C> {
    let mut rng = shaped::data::SplitMix64::new(seed);
    Image::new(h, w, (0..h * w).map(|_| std::array::from_fn(|_| rng.next_f32())).collect()).unwrap()
}

fn sizes() -> [(usize, usize); 4] {
    [(7, 9), (12, 5), (10, 10), (6, 13)]
}

#[test]
fn a_padded_batch_predicts_what_each_image_predicts_alone() {
    let mut model = AnySize::new(3);
    let images: Vec<Image<2>> =
        sizes().iter().enumerate().map(|(i, &(h, w))| image(h, w, i as u64)).collect();
    let together: Vec<[f32; 3]> = model.predict(&images).unwrap();
    for (i, img) in images.iter().enumerate() {
        let alone: Vec<[f32; 3]> = model.predict(std::slice::from_ref(img)).unwrap();
        shaped::testing::assert_close(&together[i], &alone[0], 1e-6);
    }
    // The images differ, so the predictions do: the test would see a mixed-up batch.
    assert!(together[0] != together[1]);
}

#[test]
fn a_padded_batch_trains_as_the_mean_of_each_image_alone() {
    let images: Vec<Image<1>> =
        sizes().iter().enumerate().map(|(i, &(h, w))| image(h, w, 10 + i as u64)).collect();
    let labels: Vec<u32> = vec![0, 2, 1, 2];
    let sgd = || Sgd { learning_rate: 0.5.into(), ..Default::default() };
    let weights = |model: &AnySizeTrain| {
        let mut all = Vec::new();
        model.visit_weights(&mut |p| all.extend_from_slice(p.data));
        all
    };
    let initial = weights(&AnySizeTrain::new(4));
    let mut batch =
        AnySizeTrain::new(4).compile(sgd(), SparseCategoricalCrossentropy::default(), []).unwrap();
    batch.train_on_batch(&images, &labels).unwrap();
    let after_batch = weights(batch.model());
    let mut mean_alone = vec![0.0f32; initial.len()];
    for (img, &label) in images.iter().zip(&labels) {
        let mut alone =
            AnySizeTrain::new(4).compile(sgd(), SparseCategoricalCrossentropy::default(), []).unwrap();
        alone.train_on_batch(std::slice::from_ref(img), &[label]).unwrap();
        for (m, w) in mean_alone.iter_mut().zip(weights(alone.model())) {
            *m += w / images.len() as f32;
        }
    }
    shaped::testing::assert_close(&after_batch, &mean_alone, 1e-5);
    assert!(after_batch != initial, "the step moved the weights");
}

#[test]
fn fit_with_bucketing_trains_on_images_of_any_size() {
    let images: Vec<Image<1>> = (0..24).map(|i| image(6 + i % 7, 5 + (i * 3) % 11, i as u64)).collect();
    let labels: Vec<u32> = (0..24).map(|i| (i % 3) as u32).collect();
    let mut model = AnySizeTrain::new(5)
        .compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])
        .unwrap();
    let history = model
        .fit(
            &images,
            &labels,
            FitOptions {
                epochs: 3,
                batch_size: 8,
                bucket_by_length: true,
                verbose: Verbose::Silent,
                ..Default::default()
            },
        )
        .unwrap();
    let losses = history.get("loss").unwrap();
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
}

#[test]
fn an_image_too_small_for_the_model_is_an_error_naming_it() {
    let images = vec![image::<1>(9, 9, 0), image::<1>(1, 2, 1)];
    let mut model = AnySizeTrain::new(6);
    let err = model.predict(&images).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("x[1] is a 1×2×1 image"), "{err}");
    let mut model =
        AnySizeTrain::new(6).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    let err = model.train_on_batch(&images, &[0, 1]).unwrap_err().to_string();
    assert!(err.contains("x[1] is a 1×2×1 image"), "{err}");
}

#[test]
fn a_non_finite_pixel_is_an_error_naming_its_row_column_and_channel() {
    let mut bad = image::<2>(4, 5, 0);
    let mut pixels = bad.pixels().to_vec();
    pixels[2 * 5 + 3][1] = f32::NAN;
    bad = Image::new(4, 5, pixels).unwrap();
    let mut model =
        AnySize::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), []).unwrap();
    let err = model.train_on_batch(&[image(6, 6, 1), bad], &[0, 1]).unwrap_err().to_string();
    assert!(err.contains("x[1] holds NaN at row 2, column 3, channel 1"), "{err}");
}

#[test]
fn per_pixel_outputs_keep_each_image_size() {
    let images: Vec<Image<1>> =
        sizes().iter().enumerate().map(|(i, &(h, w))| image(h, w, 20 + i as u64)).collect();
    let mut model = PerPixel::new(7);
    let together: Vec<Image<3>> = model.predict(&images).unwrap();
    for (img, out) in images.iter().zip(&together) {
        assert_eq!((out.height(), out.width()), (img.height(), img.width()));
        let alone: Vec<Image<3>> = model.predict(std::slice::from_ref(img)).unwrap();
        shaped::testing::assert_close(out.pixels().as_flattened(), alone[0].pixels().as_flattened(), 1e-6);
    }
    let mut halved = Halved::new(8);
    let out: Vec<Image<2>> = halved.predict(&images).unwrap();
    for (img, out) in images.iter().zip(&out) {
        assert_eq!((out.height(), out.width()), (img.height().div_ceil(2), img.width().div_ceil(2)));
    }
}
