//! The layers that resize the spatial axes of an image by moving pixels: `UpSampling2D`
//! (nearest), `ZeroPadding2D` and `Cropping2D`.
//!
//! Shape contract, input `[h, w, C]`, by the shared rules (`shaped_rules::up_sampling_2d`,
//! `zero_padding_2d`, `cropping_2d`):
//!
//! - [`UpSampling2d`] `size = [s₀, s₁]`: `[h·s₀, w·s₁, C]`, `y[i, j] = x[⌊i/s₀⌋, ⌊j/s₁⌋]` (Keras's
//!   default `interpolation="nearest"`: each pixel repeated); backward sums each block:
//!   `dx[i, j] = Σ_{a<s₀, b<s₁} dy[i·s₀ + a, j·s₁ + b]`.
//! - [`ZeroPadding2d`] `[[top, bottom], [left, right]]`: `[top + h + bottom, left + w + right,
//!   C]`, the image at `(top, left)` and zeros around; backward `dx[i, j] = dy[i + top, j + left]`.
//! - [`Cropping2d`] `[[top, bottom], [left, right]]`: `[h − top − bottom, w − left − right, C]`,
//!   `y[i, j] = x[i + top, j + left]`; backward puts `dy` back there, 0 on the cropped border.
//!
//! Masks (ragged images): each sample is resized exactly as if it were alone at its real size
//! `h' × w'` (its top-left rectangle, [`crate::layers::spatial_mask::real_extent`]): up-sampled
//! to `h'·s₀ × w'·s₁`, padded to `top + h' + bottom × left + w' + right` (its own border zeros,
//! then the image), cropped from its own bottom and right edges; the result sits at the top-left
//! of the padded output grid, 0.0 elsewhere, and the output's mask is that rectangle
//! ([`MaskRule::ProduceIf`] any input mask). An image too small for the crop, or with no real
//! pixel, gives an empty output. Input values outside the real rectangle are never read, and get
//! zero gradient.

use crate::error::Result;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::spatial_mask::{check_len, check_mask, real_extent, write_extent_mask, Extent};
use crate::layers::stage::{single_dims, single_grad, Backward, Forward, Input, MaskRule, Masked, Stage};
use crate::shape::Dims;

/// What distinguishes the three resizers: the output extent of a sample alone, and where each
/// of its output pixels comes from.
trait Resize {
    /// Keras's class name.
    const NAME: &'static str;

    /// The per-sample output dims by the shared rule.
    fn rule(&self, input: Dims) -> Result<Dims>;

    /// The output extent of a sample of real extent `real` alone (`[0, 0]`: empty).
    fn out_extent(&self, real: Extent) -> Extent;

    /// The input pixel that output pixel `o` (inside the sample's output extent) copies, or
    /// `None` for a zero.
    fn source(&self, real: Extent, o: [usize; 2]) -> Option<[usize; 2]>;
}

/// `[h, w]` of the input and output grids and the channels, the input checked by the rule.
fn layout<R: Resize>(r: &R, dims: Dims) -> Result<(Extent, Extent, usize)> {
    let out = r.rule(dims)?;
    let (d, o) = (dims.as_slice(), out.as_slice());
    Ok(([d[0], d[1]], [o[0], o[1]], d[2]))
}

fn forward<R: Resize>(r: &R, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
    let Input { data: x, dims, mask, .. } = args.input(R::NAME)?;
    let batch = args.batch;
    let ([ih, iw], [oh, ow], c) = layout(r, dims)?;
    check_len(R::NAME, "input", x.len(), batch, dims.numel())?;
    check_len(R::NAME, "output", y.len(), batch, oh * ow * c)?;
    check_mask(R::NAME, mask, batch, dims)?;
    for b in 0..batch {
        let real = real_extent(mask, b, [ih, iw]);
        let out = r.out_extent(real);
        for oy in 0..oh {
            for ox in 0..ow {
                let start = ((b * oh + oy) * ow + ox) * c;
                let dst = &mut y[start..start + c];
                let src = (oy < out[0] && ox < out[1]).then(|| r.source(real, [oy, ox])).flatten();
                match src {
                    Some([iy, ix]) => {
                        let from = ((b * ih + iy) * iw + ix) * c;
                        dst.copy_from_slice(&x[from..from + c]);
                    }
                    None => dst.fill(0.0),
                }
            }
        }
    }
    Ok(())
}

fn backward<R: Resize>(r: &R, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
    let Input { dims, mask, .. } = args.input(R::NAME)?;
    let (batch, dy) = (args.batch, args.grad_output);
    let Some(dx) = single_grad(grad_inputs) else { return Ok(()) };
    let ([ih, iw], [oh, ow], c) = layout(r, dims)?;
    check_len(R::NAME, "input gradient", dx.len(), batch, dims.numel())?;
    check_len(R::NAME, "output gradient", dy.len(), batch, oh * ow * c)?;
    check_mask(R::NAME, mask, batch, dims)?;
    dx.fill(0.0);
    for b in 0..batch {
        let real = real_extent(mask, b, [ih, iw]);
        let out = r.out_extent(real);
        for oy in 0..out[0] {
            for ox in 0..out[1] {
                if let Some([iy, ix]) = r.source(real, [oy, ox]) {
                    let from = ((b * oh + oy) * ow + ox) * c;
                    let to = ((b * ih + iy) * iw + ix) * c;
                    for (d, &g) in dx[to..to + c].iter_mut().zip(&dy[from..from + c]) {
                        *d += g;
                    }
                }
            }
        }
    }
    Ok(())
}

fn produce_mask<R: Resize>(r: &R, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
    let Input { dims, mask, .. } = args.input(R::NAME)?;
    let ([ih, iw], [oh, ow], _) = layout(r, dims)?;
    check_mask(R::NAME, mask, args.batch, dims)?;
    check_len(R::NAME, "output mask", out_mask.len(), args.batch, oh * ow)?;
    for (b, m) in out_mask.chunks_exact_mut((oh * ow).max(1)).take(args.batch).enumerate() {
        write_extent_mask(m, [oh, ow], r.out_extent(real_extent(mask, b, [ih, iw])));
    }
    Ok(())
}

/// Implements [`Stage`] for a resizer through the shared functions above.
macro_rules! resize_stage {
    ($ty:ty) => {
        impl Stage for $ty {
            fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
                self.rule(single_dims(inputs, <$ty as Resize>::NAME)?)
            }

            fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
                forward(self, args, y)
            }

            fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
                backward(self, args, grad_inputs)
            }

            fn mask_rule(&self) -> MaskRule {
                MaskRule::ProduceIf(Masked::Any)
            }

            fn produce_mask(&self, args: Forward<'_>, out_mask: &mut [f32]) -> Result<()> {
                produce_mask(self, args, out_mask)
            }

            fn kind(&self) -> String {
                <$ty as Resize>::NAME.into()
            }
        }
    };
}

/// Keras's `UpSampling2D(size)`, nearest: each pixel repeated `size[0]` times down and
/// `size[1]` times across (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct UpSampling2d {
    size: [usize; 2],
}

impl UpSampling2d {
    /// `UpSampling2D(size=(size[0], size[1]))`.
    pub fn new(size: [usize; 2]) -> UpSampling2d {
        UpSampling2d { size }
    }
}

impl Resize for UpSampling2d {
    const NAME: &'static str = "UpSampling2D";

    fn rule(&self, input: Dims) -> Result<Dims> {
        rule_dims_one(Self::NAME, input, |d| shaped_rules::up_sampling_2d(d, self.size))
    }

    fn out_extent(&self, [h, w]: Extent) -> Extent {
        [h * self.size[0], w * self.size[1]]
    }

    fn source(&self, _: Extent, [oy, ox]: [usize; 2]) -> Option<[usize; 2]> {
        // The size is at least 1 inside the output extent (else the extent is empty).
        Some([oy / self.size[0], ox / self.size[1]])
    }
}

resize_stage!(UpSampling2d);

/// Keras's `ZeroPadding2D(padding=((top, bottom), (left, right)))` (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct ZeroPadding2d {
    padding: [[usize; 2]; 2],
}

impl ZeroPadding2d {
    /// `padding = [[top, bottom], [left, right]]`.
    pub fn new(padding: [[usize; 2]; 2]) -> ZeroPadding2d {
        ZeroPadding2d { padding }
    }
}

impl Resize for ZeroPadding2d {
    const NAME: &'static str = "ZeroPadding2D";

    fn rule(&self, input: Dims) -> Result<Dims> {
        rule_dims_one(Self::NAME, input, |d| shaped_rules::zero_padding_2d(d, self.padding))
    }

    fn out_extent(&self, [h, w]: Extent) -> Extent {
        let [[t, b], [l, r]] = self.padding;
        if h == 0 || w == 0 {
            return [0, 0];
        }
        [t + h + b, l + w + r]
    }

    fn source(&self, [h, w]: Extent, [oy, ox]: [usize; 2]) -> Option<[usize; 2]> {
        let [[t, _], [l, _]] = self.padding;
        let (iy, ix) = (oy.checked_sub(t)?, ox.checked_sub(l)?);
        (iy < h && ix < w).then_some([iy, ix])
    }
}

resize_stage!(ZeroPadding2d);

/// Keras's `Cropping2D(cropping=((top, bottom), (left, right)))` (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct Cropping2d {
    cropping: [[usize; 2]; 2],
}

impl Cropping2d {
    /// `cropping = [[top, bottom], [left, right]]`.
    pub fn new(cropping: [[usize; 2]; 2]) -> Cropping2d {
        Cropping2d { cropping }
    }
}

impl Resize for Cropping2d {
    const NAME: &'static str = "Cropping2D";

    fn rule(&self, input: Dims) -> Result<Dims> {
        rule_dims_one(Self::NAME, input, |d| shaped_rules::cropping_2d(d, self.cropping))
    }

    fn out_extent(&self, [h, w]: Extent) -> Extent {
        let [[t, b], [l, r]] = self.cropping;
        match (h.checked_sub(t + b), w.checked_sub(l + r)) {
            (Some(oh), Some(ow)) if oh > 0 && ow > 0 => [oh, ow],
            _ => [0, 0],
        }
    }

    fn source(&self, _: Extent, [oy, ox]: [usize; 2]) -> Option<[usize; 2]> {
        Some([oy + self.cropping[0][0], ox + self.cropping[1][0]])
    }
}

resize_stage!(Cropping2d);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Mode;
    use crate::testing::{backward_one, forward_one, produce_mask_one};

    fn dims(d: &[usize]) -> Dims {
        Dims::new(d).unwrap()
    }

    #[test]
    fn by_hand() {
        // x = [[1, 2], [3, 4]], one channel.
        let x = [1.0, 2.0, 3.0, 4.0];
        let d = dims(&[2, 2, 1]);
        let mut up = UpSampling2d::new([1, 2]);
        let mut y = [f32::NAN; 8];
        forward_one(&mut up, &x, d, 1, None, &mut y, Mode::Training).unwrap();
        assert_eq!(y, [1., 1., 2., 2., 3., 3., 4., 4.]);
        let mut dx = [f32::NAN; 4];
        backward_one(&mut up, &x, d, 1, None, &y, &[1., 2., 3., 4., 5., 6., 7., 8.], Some(&mut dx)).unwrap();
        assert_eq!(dx, [3., 7., 11., 15.]);

        let mut pad = ZeroPadding2d::new([[1, 0], [0, 1]]);
        let mut y = [f32::NAN; 9];
        forward_one(&mut pad, &x, d, 1, None, &mut y, Mode::Training).unwrap();
        assert_eq!(y, [0., 0., 0., 1., 2., 0., 3., 4., 0.]);

        let mut crop = Cropping2d::new([[1, 0], [0, 1]]);
        let mut y = [f32::NAN; 1];
        forward_one(&mut crop, &x, d, 1, None, &mut y, Mode::Training).unwrap();
        assert_eq!(y, [3.]);
        backward_one(&mut crop, &x, d, 1, None, &y, &[5.], Some(&mut dx)).unwrap();
        assert_eq!(dx, [0., 0., 5., 0.]);
        assert!(crop.output_dims(&[dims(&[1, 2, 1])]).is_err());
    }

    #[test]
    fn ragged_padding_puts_each_border_around_its_own_image() {
        // A 2×2 grid whose real image is 1×1 (value 7); the rest garbage.
        let x = [7.0, 1e3, 1e3, 1e3];
        let mask = [1.0, 0.0, 0.0, 0.0];
        let d = dims(&[2, 2, 1]);
        let mut pad = ZeroPadding2d::new([[1, 0], [1, 0]]);
        let mut y = [f32::NAN; 9];
        forward_one(&mut pad, &x, d, 1, Some(&mask), &mut y, Mode::Training).unwrap();
        assert_eq!(y, [0., 0., 0., 0., 7., 0., 0., 0., 0.]);
        let mut m = [f32::NAN; 9];
        produce_mask_one(&pad, &x, d, 1, Some(&mask), &mut m).unwrap();
        assert_eq!(m, [1., 1., 0., 1., 1., 0., 0., 0., 0.]);
    }
}
