//! [`Image`]: one image of its own height and width, `C` values per pixel, for a model whose
//! input has sides known only at run time (`input: [None, None, 3]`).

use crate::error::{Error, Result};

/// An image of `height × width` pixels of `C` channels each, row-major (channels last, as
/// Keras): the sample type of an input `[None, None, C]`.
///
/// Images in one batch may all differ in size: `fit`, `evaluate` and `predict` pad each batch to
/// its largest height and width (at the bottom and right) and mask the padding, so every layer
/// computes each image as if it were alone.
///
/// ```
/// use shaped::tensor::Image;
///
/// let tall = Image::<1>::new(3, 2, vec![[0.0], [0.1], [0.2], [0.3], [0.4], [0.5]])?;
/// assert_eq!((tall.height(), tall.width()), (3, 2));
/// assert_eq!(tall.pixel(2, 1), [0.5]);
/// // Rows of equal length, as nested arrays:
/// let wide = Image::from_rows(vec![vec![[1.0f32, 0.0, 0.0]; 4]; 2])?;
/// assert_eq!((wide.height(), wide.width()), (2, 4));
/// // A ragged row is an error, not a silently wrong image.
/// assert!(Image::from_rows(vec![vec![[0.0f32]; 3], vec![[0.0]; 2]]).is_err());
/// # Ok::<(), shaped::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Image<const C: usize> {
    height: usize,
    width: usize,
    pixels: Vec<[f32; C]>,
}

impl<const C: usize> Image<C> {
    /// An image of `height × width` pixels given row by row; `Err` when `pixels` does not hold
    /// `height · width` of them, or a side is 0.
    pub fn new(height: usize, width: usize, pixels: Vec<[f32; C]>) -> Result<Self> {
        if height == 0 || width == 0 {
            return Err(Error::InvalidArgument {
                name: "image",
                detail: format!("an image needs at least one row and one column, but is {height}×{width}"),
            });
        }
        if pixels.len() != height * width {
            return Err(Error::LengthMismatch {
                context: format!("the pixels of a {height}×{width} image and its height × width"),
                left: pixels.len(),
                right: height * width,
            });
        }
        Ok(Image { height, width, pixels })
    }

    /// An image from its rows, which must all have the same number of pixels; `Err` naming the
    /// first row that differs.
    pub fn from_rows(rows: Vec<Vec<[f32; C]>>) -> Result<Self> {
        let width = rows.first().map_or(0, Vec::len);
        if let Some((r, row)) = rows.iter().enumerate().find(|(_, row)| row.len() != width) {
            return Err(Error::LengthMismatch {
                context: format!("row {r} of an image and its row 0"),
                left: row.len(),
                right: width,
            });
        }
        let height = rows.len();
        Image::new(height, width, rows.into_iter().flatten().collect())
    }

    /// An image of `height × width` pixels known to match (an output the layers computed):
    /// no check, so an empty output stays representable.
    pub(crate) fn from_parts(height: usize, width: usize, pixels: Vec<[f32; C]>) -> Self {
        Image { height, width, pixels }
    }

    /// The number of rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The number of columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The pixels, row by row.
    pub fn pixels(&self) -> &[[f32; C]] {
        &self.pixels
    }

    /// The pixel at row `row`, column `col` (panics outside the image, as slice indexing does).
    pub fn pixel(&self, row: usize, col: usize) -> [f32; C] {
        self.pixels[row * self.width + col]
    }

    /// Writes the image into the top-left corner of a zeroed `padded[0] × padded[1]` grid
    /// (`out` holds `padded[0] · padded[1] · C` values); the image is cut to the grid if larger.
    pub(crate) fn write_padded_grid(&self, padded: [usize; 2], out: &mut [f32]) {
        let [rows, cols] = padded;
        let flat = self.pixels.as_flattened();
        for (r, row) in out.chunks_exact_mut(cols * C).take(rows).enumerate() {
            let n = if r < self.height {
                let n = self.width.min(cols) * C;
                row[..n].copy_from_slice(&flat[r * self.width * C..r * self.width * C + n]);
                n
            } else {
                0
            };
            row[n..].fill(0.0);
        }
    }
}
