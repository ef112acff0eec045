//! NumPy `.npy` arrays: a parser for format versions 1.0, 2.0 and 3.0, and a small writer.
//!
//! A `.npy` file is the magic string `\x93NUMPY`, a version, a header length, a Python dict
//! literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (4, 5), }` and then the
//! raw element bytes. Every array is converted to `f32` on reading, whatever its dtype (see
//! [`NpyArray`]). Nothing here panics on malformed bytes: every problem is an
//! [`Error::Format`] naming the source and what is wrong.

use std::path::Path;

use crate::error::{Error, Result};

/// The magic string every `.npy` file starts with.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// A NumPy array read from a `.npy` file (or an `.npz` entry), converted to `f32`.
///
/// `data` is in C (row-major) order; `fortran_order` arrays are transposed on reading, so
/// callers never see column-major data. The conversion to `f32` is:
/// - `<f4`: unchanged; `<f8`: rounded to the nearest `f32`;
/// - `|b1` (bool): `False` becomes `0.0`, `True` becomes `1.0`;
/// - integers (`|i1`, `<i2`, `<i4`, `<i8`, `|u1`, `<u2`, `<u4`, `<u8`): cast with `as f32`,
///   which is exact up to 2^24 in magnitude and rounds beyond it.
///
/// Big-endian (`>`) variants of the same dtypes are read too.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// The array's shape; empty for a 0-d (scalar) array.
    pub shape: Vec<usize>,
    /// The elements in C order; `data.len()` is the product of `shape` (1 for a scalar).
    pub data: Vec<f32>,
}

impl NpyArray {
    /// Parses the bytes of a `.npy` file.
    ///
    /// `source` names the bytes in error messages: a path, or for an `.npz` entry something
    /// like `weights.npz (array 'dense/kernel')`.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<NpyArray> {
        parse(bytes).map_err(|detail| Error::format(source, detail))
    }

    /// Reads and parses a `.npy` file.
    pub fn open(path: impl AsRef<Path>) -> Result<NpyArray> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        NpyArray::from_bytes(&bytes, &path.display().to_string())
    }

    /// The number of elements (the product of the shape; 1 for a scalar).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the array has no elements (some dimension is 0).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Serializes an `f32` array as a `.npy` file: format 1.0, dtype `<f4`, C order.
///
/// The result is what `numpy.save` writes for a C-contiguous `float32` array, header padded to
/// a multiple of 64 bytes. (Version 2.0 is used only if the header cannot fit in version 1.0's
/// 65535 bytes, which takes thousands of dimensions.)
///
/// # Panics
///
/// If `data.len()` is not the product of `shape` (1 for an empty shape): that is a bug in the
/// caller, not bad input data.
pub fn write_npy_f32(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    assert_eq!(
        count,
        Some(data.len()),
        "write_npy_f32: shape {shape:?} does not hold {} elements",
        data.len()
    );

    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        0 => "()".to_string(),
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");

    // Preamble: magic (6) + version (2) + header length (2 for v1, 4 for v2).
    let (version, len_bytes) =
        if header.len() + 1 + 10 + 64 <= usize::from(u16::MAX) { (1u8, 2) } else { (2u8, 4) };
    let preamble = MAGIC.len() + 2 + len_bytes;
    let unpadded = preamble + header.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    header.extend(std::iter::repeat_n(' ', padding));
    header.push('\n');

    let mut out = Vec::with_capacity(preamble + header.len() + 4 * data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        // Fits: checked when choosing the version.
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    for x in data {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// How much the start of a `.npy` file tells about its length; see [`extent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extent {
    /// The first this many bytes, more than were given, are needed to tell.
    AtLeast(usize),
    /// The whole file, header and data, is exactly this many bytes long.
    Exactly(usize),
}

/// The length of the `.npy` file that starts with `prefix`, from its header alone.
///
/// The length is the header's own plus the data's, shape × dtype size, computed with checked
/// arithmetic (a shape too large to count is an error). If `prefix` ends inside the header, the
/// answer is how many bytes are needed to go on: the caller reads that many and asks again. This
/// is how an `.npz` entry learns its array's size before inflating any of the data.
pub(crate) fn extent(prefix: &[u8]) -> std::result::Result<Extent, String> {
    Ok(match scan(prefix)? {
        Scan::Short { need, .. } => Extent::AtLeast(need),
        Scan::Layout(layout) => Extent::Exactly(layout.len),
    })
}

/// Where the parts of a `.npy` file are, as its header declares them.
struct Layout {
    header: Header,
    dtype: Dtype,
    /// Where the data starts: the length of the header.
    data_start: usize,
    /// The data's length in bytes: shape × dtype size.
    data_len: usize,
    /// `data_start + data_len`: the length of the whole file.
    len: usize,
}

/// What [`scan`] found at the start of a `.npy` file.
enum Scan {
    /// The bytes end inside the header: `need` bytes are needed to read on, and `detail` says
    /// what is missing (the error if these bytes are the whole file).
    Short { need: usize, detail: String },
    /// The header is complete.
    Layout(Layout),
}

/// Reads the magic, version, header length and header dict at the start of `bytes`.
fn scan(bytes: &[u8]) -> std::result::Result<Scan, String> {
    let start = bytes.get(..MAGIC.len()).unwrap_or(bytes);
    let not_npy = || {
        format!(
            "not a .npy file: it must start with the bytes \\x93NUMPY, but starts with {:?}",
            String::from_utf8_lossy(start)
        )
    };
    if !MAGIC.starts_with(start) {
        return Err(not_npy());
    }
    let (major, minor) = match bytes.get(6..8) {
        Some(&[major, minor]) => (major, minor),
        _ if start.len() < MAGIC.len() => return Ok(Scan::Short { need: 8, detail: not_npy() }),
        _ => {
            let detail = format!("truncated: {} bytes, too short for the format version", bytes.len());
            return Ok(Scan::Short { need: 8, detail });
        }
    };
    let header_start = match major {
        1 => 10usize,
        2 | 3 => 12,
        _ => {
            return Err(format!(
                "unsupported .npy format version {major}.{minor}; supported are 1.0, 2.0 and 3.0"
            ))
        }
    };
    let header_len = if major == 1 {
        u16_le(bytes, 8).map(usize::from)
    } else {
        u32_le(bytes, 8)
            .map(|n| usize::try_from(n).map_err(|_| format!("header length {n} is too large")))
            .transpose()?
    };
    let Some(header_len) = header_len else {
        let detail = format!("truncated: {} bytes, too short for the header length", bytes.len());
        return Ok(Scan::Short { need: header_start, detail });
    };
    let header_end = header_start
        .checked_add(header_len)
        .ok_or_else(|| format!("header length {header_len} is too large"))?;
    let Some(header_bytes) = bytes.get(header_start..header_end) else {
        let detail =
            format!("truncated: the header needs {header_len} bytes but the file has {}", bytes.len());
        return Ok(Scan::Short { need: header_end, detail });
    };
    let header_text: String = if major == 3 {
        std::str::from_utf8(header_bytes)
            .map_err(|e| format!("the version 3.0 header is not UTF-8: {e}"))?
            .to_string()
    } else {
        // Versions 1.0 and 2.0 are latin-1, where every byte is the code point of the same value.
        header_bytes.iter().map(|&b| char::from(b)).collect()
    };
    let header =
        parse_header(&header_text).map_err(|e| format!("bad header {:?}: {e}", header_text.trim_end()))?;
    let dtype = parse_descr(&header.descr)?;

    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("shape {:?} has too many elements", header.shape))?;
    let too_many_bytes = || format!("shape {:?} has too many bytes", header.shape);
    let data_len = count.checked_mul(dtype.size).ok_or_else(too_many_bytes)?;
    let len = header_end.checked_add(data_len).ok_or_else(too_many_bytes)?;
    Ok(Scan::Layout(Layout { header, dtype, data_start: header_end, data_len, len }))
}

/// Parses a whole `.npy` buffer; the error is the detail for [`Error::Format`].
fn parse(bytes: &[u8]) -> std::result::Result<NpyArray, String> {
    let layout = match scan(bytes)? {
        Scan::Short { detail, .. } => return Err(detail),
        Scan::Layout(layout) => layout,
    };
    let Layout { header, dtype, data_start, data_len, .. } = layout;
    let body = bytes.get(data_start..).unwrap_or_default();
    if body.len() != data_len {
        return Err(format!(
            "shape {:?} of dtype '{}' needs {data_len} data bytes, but the file has {}",
            header.shape,
            header.descr,
            body.len()
        ));
    }
    let data: Vec<f32> = body.chunks_exact(dtype.size).map(|chunk| dtype.convert(chunk)).collect();
    let data = if header.fortran_order { fortran_to_c(&header.shape, &data)? } else { data };
    Ok(NpyArray { shape: header.shape, data })
}

/// Reads a little-endian u16 at `at`, or `None` past the end.
fn u16_le(bytes: &[u8], at: usize) -> Option<u16> {
    let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(b))
}

/// Reads a little-endian u32 at `at`, or `None` past the end.
fn u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// The three keys of a `.npy` header dict.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// A value in the header dict: the only kinds the three keys can hold.
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// Parses the Python dict literal of a header, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (4, 5), }`.
fn parse_header(text: &str) -> std::result::Result<Header, String> {
    let mut p = DictParser { chars: text.chars().collect(), pos: 0 };
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    p.expect('{')?;
    loop {
        if p.eat('}') {
            break;
        }
        let key = p.string()?;
        p.expect(':')?;
        let value = p.value()?;
        let duplicate = match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr.replace(s).is_some(),
            ("fortran_order", Value::Bool(b)) => fortran_order.replace(b).is_some(),
            ("shape", Value::Tuple(t)) => shape.replace(t).is_some(),
            ("descr", _) => {
                return Err("'descr' must be a string (structured dtypes are not supported)".into())
            }
            ("fortran_order", _) => return Err("'fortran_order' must be True or False".into()),
            ("shape", _) => return Err("'shape' must be a tuple of integers".into()),
            (other, _) => return Err(format!("unexpected key '{other}'")),
        };
        if duplicate {
            return Err(format!("key '{key}' appears twice"));
        }
        if !p.eat(',') {
            if p.eat('}') {
                break;
            }
            return Err(format!("expected ',' or '}}' after the value of '{key}' at character {}", p.pos));
        }
    }
    p.skip_ws();
    if p.pos != p.chars.len() {
        return Err(format!("unexpected text after the dict at character {}", p.pos));
    }
    Ok(Header {
        descr: descr.ok_or("missing key 'descr'")?,
        fortran_order: fortran_order.ok_or("missing key 'fortran_order'")?,
        shape: shape.ok_or("missing key 'shape'")?,
    })
}

/// A recursive-descent parser for the subset of Python literals a `.npy` header uses.
struct DictParser {
    chars: Vec<char>,
    pos: usize,
}

impl DictParser {
    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `c` if it is next.
    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.chars.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(match self.chars.get(self.pos) {
                Some(found) => format!("expected '{c}' at character {}, found '{found}'", self.pos),
                None => format!("expected '{c}' at character {}, found the end", self.pos),
            })
        }
    }

    /// A single- or double-quoted string without escapes.
    fn string(&mut self) -> std::result::Result<String, String> {
        self.skip_ws();
        let quote = match self.chars.get(self.pos) {
            Some(&q @ ('\'' | '"')) => q,
            _ => return Err(format!("expected a quoted string at character {}", self.pos)),
        };
        let start = self.pos + 1;
        let len = self
            .chars
            .get(start..)
            .and_then(|rest| rest.iter().position(|&c| c == quote))
            .ok_or_else(|| format!("unterminated string starting at character {}", self.pos))?;
        let s: String = self.chars[start..start + len].iter().collect();
        if s.contains('\\') {
            return Err(format!("escapes in strings are not supported: '{s}'"));
        }
        self.pos = start + len + 1;
        Ok(s)
    }

    fn value(&mut self) -> std::result::Result<Value, String> {
        self.skip_ws();
        match self.chars.get(self.pos) {
            Some('\'' | '"') => self.string().map(Value::Str),
            Some('(') => self.tuple().map(Value::Tuple),
            Some('[') => Err("list values (structured dtypes) are not supported".into()),
            Some(&c) => {
                let word = self.word();
                match word.as_str() {
                    "True" => Ok(Value::Bool(true)),
                    "False" => Ok(Value::Bool(false)),
                    "" => Err(format!("unsupported value starting with '{c}' at character {}", self.pos)),
                    _ => Err(format!("unsupported value '{word}'")),
                }
            }
            None => Err("expected a value, found the end".into()),
        }
    }

    /// A run of alphanumeric characters (or `_`).
    fn word(&mut self) -> String {
        let start = self.pos;
        while self.chars.get(self.pos).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// `()`, `(4,)`, `(4, 5)`; a trailing comma is allowed, Python 2's `4L` too.
    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect('(')?;
        let mut dims = Vec::new();
        loop {
            if self.eat(')') {
                return Ok(dims);
            }
            if self.chars.get(self.pos).is_none() {
                return Err("expected a dimension or ')', found the end".into());
            }
            let word = self.word();
            let digits = word.strip_suffix('L').unwrap_or(&word);
            let dim = digits.parse::<usize>().map_err(|_| format!("'{word}' is not a valid dimension"))?;
            dims.push(dim);
            if !self.eat(',') {
                self.expect(')')?;
                return Ok(dims);
            }
        }
    }
}

/// Element kinds that can be converted to `f32`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Float,
    Int,
    Uint,
    Bool,
}

/// A supported dtype: kind, size in bytes, byte order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dtype {
    kind: Kind,
    size: usize,
    big_endian: bool,
}

/// Parses a `descr` such as `<f4` or `|b1`.
fn parse_descr(descr: &str) -> std::result::Result<Dtype, String> {
    const SUPPORTED: &str = "'<f4', '<f8', '|b1', '|i1', '<i2', '<i4', '<i8', '|u1', '<u2', '<u4', '<u8' \
                             (and their '>' big-endian forms)";
    let unsupported = || format!("unsupported dtype '{descr}'; supported are {SUPPORTED}");
    let mut chars = descr.chars();
    let (order, kind) = (chars.next(), chars.next());
    let size: usize = chars.as_str().parse().map_err(|_| unsupported())?;
    let kind = match (kind, size) {
        (Some('f'), 4 | 8) => Kind::Float,
        (Some('i'), 1 | 2 | 4 | 8) => Kind::Int,
        (Some('u'), 1 | 2 | 4 | 8) => Kind::Uint,
        (Some('b'), 1) => Kind::Bool,
        _ => return Err(unsupported()),
    };
    let big_endian = match order {
        Some('<') => false,
        Some('>') => true,
        Some('|') if size == 1 => false,
        Some('=') => cfg!(target_endian = "big"),
        _ => return Err(unsupported()),
    };
    Ok(Dtype { kind, size, big_endian })
}

impl Dtype {
    /// Converts one element's bytes (exactly `self.size` of them) to `f32`.
    fn convert(&self, chunk: &[u8]) -> f32 {
        // Widen to 8 bytes in little-endian order, then reinterpret.
        let mut le = [0u8; 8];
        for (dst, src) in le.iter_mut().zip(chunk.iter().take(self.size)) {
            *dst = *src;
        }
        if self.big_endian {
            le[..self.size].reverse();
        }
        let raw = u64::from_le_bytes(le);
        let bits = 8 * self.size as u32;
        match self.kind {
            Kind::Bool => f32::from(u8::from(raw != 0)),
            Kind::Uint => raw as f32,
            Kind::Int => {
                // Sign-extend from `bits` to 64.
                let shift = 64 - bits;
                ((raw << shift) as i64 >> shift) as f32
            }
            Kind::Float if self.size == 4 => f32::from_bits(raw as u32),
            Kind::Float => f64::from_bits(raw) as f32,
        }
    }
}

/// Reorders column-major (`fortran_order`) data of `shape` into row-major order.
fn fortran_to_c(shape: &[usize], data: &[f32]) -> std::result::Result<Vec<f32>, String> {
    if shape.len() < 2 || data.is_empty() {
        return Ok(data.to_vec());
    }
    // Column-major strides: the first axis varies fastest. The product of the shape is
    // data.len() (checked by the caller), so none of these overflow.
    let mut strides = Vec::with_capacity(shape.len());
    let mut acc = 1usize;
    for &d in shape {
        strides.push(acc);
        acc = acc.saturating_mul(d);
    }
    let mut index = vec![0usize; shape.len()];
    let mut offset = 0usize;
    let mut out = Vec::with_capacity(data.len());
    for _ in 0..data.len() {
        let x = data.get(offset).ok_or_else(|| format!("fortran_order offset {offset} is out of range"))?;
        out.push(*x);
        // Advance the row-major index: the last axis varies fastest.
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            offset += strides[axis];
            if index[axis] < shape[axis] {
                break;
            }
            offset -= strides[axis] * shape[axis];
            index[axis] = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a `.npy` buffer with an arbitrary header, version and body.
    fn npy(version: u8, header: &str, body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(body);
        out
    }

    fn header(descr: &str, fortran: bool, shape: &str) -> String {
        let f = if fortran { "True" } else { "False" };
        format!("{{'descr': '{descr}', 'fortran_order': {f}, 'shape': {shape}, }}\n")
    }

    fn parse_ok(bytes: &[u8]) -> NpyArray {
        match NpyArray::from_bytes(bytes, "test.npy") {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        }
    }

    fn parse_err(bytes: &[u8]) -> String {
        match NpyArray::from_bytes(bytes, "test.npy") {
            Ok(a) => panic!("expected an error, got {a:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn round_trips_f32_in_numpys_layout() {
        let data: Vec<f32> = (0..6).map(|i| i as f32 * 0.5 - 1.0).collect();
        let bytes = write_npy_f32(&[2, 3], &data);
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0, "header is padded to 64 bytes");
        assert_eq!(bytes[10 + header_len - 1], b'\n');
        let text = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), "{text}");
        assert_eq!(parse_ok(&bytes), NpyArray { shape: vec![2, 3], data });
    }

    #[test]
    fn writes_python_tuple_syntax_for_every_rank() {
        for (shape, text) in
            [(&[][..], "'shape': ()"), (&[4][..], "'shape': (4,)"), (&[1, 2, 3][..], "'shape': (1, 2, 3)")]
        {
            let n: usize = shape.iter().product();
            let bytes = write_npy_f32(shape, &vec![1.5; n]);
            assert!(String::from_utf8_lossy(&bytes).contains(text), "{shape:?}");
            let a = parse_ok(&bytes);
            assert_eq!(a.shape, shape);
            assert_eq!(a.len(), n);
        }
        let empty = parse_ok(&write_npy_f32(&[0, 3], &[]));
        assert!(empty.is_empty());
        assert_eq!(empty.shape, [0, 3]);
    }

    #[test]
    #[should_panic(expected = "does not hold 3 elements")]
    fn writer_rejects_a_wrong_element_count() {
        write_npy_f32(&[2, 2], &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn reads_versions_2_and_3() {
        let body: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        for version in [2, 3] {
            let a = parse_ok(&npy(version, &header("<f4", false, "(2,)"), &body));
            assert_eq!(a.data, [1.0, 2.0]);
        }
        let err = parse_err(&npy(4, &header("<f4", false, "(2,)"), &body));
        assert!(err.contains("version 4.0"), "{err}");
    }

    #[test]
    fn converts_every_supported_dtype() {
        let f8: Vec<u8> = [0.25f64, -3.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(parse_ok(&npy(1, &header("<f8", false, "(2,)"), &f8)).data, [0.25, -3.0]);
        assert_eq!(parse_ok(&npy(1, &header("|b1", false, "(3,)"), &[1, 0, 1])).data, [1.0, 0.0, 1.0]);
        let i4: Vec<u8> = [-7i32, 100_000].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(parse_ok(&npy(1, &header("<i4", false, "(2,)"), &i4)).data, [-7.0, 100_000.0]);
        let i8: Vec<u8> = [-2i64, 1 << 40].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(parse_ok(&npy(1, &header("<i8", false, "(2,)"), &i8)).data, [-2.0, (1u64 << 40) as f32]);
        assert_eq!(parse_ok(&npy(1, &header("|u1", false, "(2,)"), &[0, 255])).data, [0.0, 255.0]);
        let u4: Vec<u8> = [3u32, u32::MAX].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(parse_ok(&npy(1, &header("<u4", false, "(2,)"), &u4)).data, [3.0, u32::MAX as f32]);
        assert_eq!(parse_ok(&npy(1, &header("|i1", false, "(2,)"), &[0xff, 5])).data, [-1.0, 5.0]);
        let i2: Vec<u8> = [-300i16, 7].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(parse_ok(&npy(1, &header("<i2", false, "(2,)"), &i2)).data, [-300.0, 7.0]);
        let be: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|x| x.to_be_bytes()).collect();
        assert_eq!(parse_ok(&npy(1, &header(">f4", false, "(2,)"), &be)).data, [1.5, -2.0]);
        let be_i4: Vec<u8> = [-5i32].iter().flat_map(|x| x.to_be_bytes()).collect();
        assert_eq!(parse_ok(&npy(1, &header(">i4", false, "(1,)"), &be_i4)).data, [-5.0]);
    }

    #[test]
    fn rejects_unsupported_dtypes_naming_them() {
        for descr in ["<c8", "<f2", "<U3", "|f4", "f4", "<b2", ""] {
            let err = parse_err(&npy(1, &header(descr, false, "(1,)"), &[0; 8]));
            assert!(err.contains(&format!("unsupported dtype '{descr}'")), "{err}");
        }
        let err =
            parse_err(&npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", &[0; 4]));
        assert!(err.contains("structured"), "{err}");
    }

    #[test]
    fn transposes_fortran_order_into_c_order() {
        // The 2x3 matrix [[0, 1, 2], [3, 4, 5]] stored column by column.
        let body: Vec<u8> = [0.0f32, 3.0, 1.0, 4.0, 2.0, 5.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let a = parse_ok(&npy(1, &header("<f4", true, "(2, 3)"), &body));
        assert_eq!(a.shape, [2, 3]);
        assert_eq!(a.data, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);

        // A 2x3x2 array: element (i, j, k) = 100i + 10j + k, stored with i fastest.
        let mut f = Vec::new();
        for k in 0..2 {
            for j in 0..3 {
                for i in 0..2 {
                    f.push((100 * i + 10 * j + k) as f32);
                }
            }
        }
        let body: Vec<u8> = f.iter().flat_map(|x| x.to_le_bytes()).collect();
        let a = parse_ok(&npy(1, &header("<f4", true, "(2, 3, 2)"), &body));
        let expected: Vec<f32> = (0..2)
            .flat_map(|i| (0..3).flat_map(move |j| (0..2).map(move |k| (100 * i + 10 * j + k) as f32)))
            .collect();
        assert_eq!(a.data, expected);

        // Rank 0 and 1 are the same in both orders.
        let body: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(parse_ok(&npy(1, &header("<f4", true, "(2,)"), &body)).data, [1.0, 2.0]);
    }

    #[test]
    fn parses_header_variants() {
        let body = 1.0f32.to_le_bytes();
        let variants = [
            "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
            "{\"shape\": (1,), \"fortran_order\": False, \"descr\": \"<f4\"}",
            "  {'descr':'<f4','fortran_order':False,'shape':(1L,)}  \n",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }",
        ];
        for h in variants {
            assert_eq!(parse_ok(&npy(1, h, &body)).data, [1.0], "{h}");
        }
    }

    #[test]
    fn rejects_bad_headers_with_a_reason() {
        let body = 1.0f32.to_le_bytes();
        let cases = [
            ("{'descr': '<f4', 'shape': (1,)}", "missing key 'fortran_order'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': True}", "unexpected key 'x'"),
            ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}", "unsupported value 'Maybe'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "not a valid dimension"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", "list values"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': {1}}", "unsupported value starting with '{'"),
            ("{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", "expected ',' or '}'"),
            ("{'descr' '<f4'}", "expected ':'"),
            ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "appears twice"),
            (
                "{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}",
                "expected ',' or '}' after the value of 'descr'",
            ),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", "unexpected text"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", "found the end"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)}", "needs 8 data bytes"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999)}", "too many"),
        ];
        for (h, needle) in cases {
            let err = parse_err(&npy(1, h, &body));
            assert!(err.contains(needle), "{h}: {err}");
            assert!(err.starts_with("cannot read test.npy:"), "{err}");
        }
    }

    #[test]
    fn rejects_bad_magic_and_trailing_bytes() {
        let err = parse_err(b"PK\x03\x04 not an npy file");
        assert!(err.contains("not a .npy file"), "{err}");
        let mut bytes = write_npy_f32(&[2], &[1.0, 2.0]);
        bytes.push(0);
        assert!(parse_err(&bytes).contains("needs 8 data bytes, but the file has 9"));
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error_not_a_panic() {
        let bytes = write_npy_f32(&[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        for len in 0..bytes.len() {
            assert!(NpyArray::from_bytes(&bytes[..len], "t").is_err(), "prefix of {len} bytes");
        }
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let _ = NpyArray::from_bytes(&b, "t");
            }
        }
        let mut v3 = npy(3, &header("<f4", false, "(1,)"), &1.0f32.to_le_bytes());
        v3[14] = 0xff;
        assert!(parse_err(&v3).contains("not UTF-8"));
    }

    #[test]
    fn extent_asks_for_the_header_then_gives_the_exact_length() {
        let bytes = write_npy_f32(&[3, 2], &[0.0; 6]);
        let header_end = 10 + usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!(bytes.len(), header_end + 24);
        let mut len = 0;
        let mut asked = Vec::new();
        loop {
            match extent(&bytes[..len]).unwrap() {
                Extent::AtLeast(need) => {
                    assert!(need > len, "{need} after {len} bytes");
                    asked.push(need);
                    len = need;
                }
                Extent::Exactly(total) => {
                    assert_eq!(total, bytes.len());
                    break;
                }
            }
        }
        assert_eq!(asked, [8, 10, header_end]);
        // Any prefix that holds the header gives the length; data bytes are never looked at.
        assert_eq!(extent(&bytes).unwrap(), Extent::Exactly(bytes.len()));
        assert_eq!(extent(&bytes[..header_end + 1]).unwrap(), Extent::Exactly(bytes.len()));
        // Versions 2 and 3 have a 4-byte header length.
        assert_eq!(extent(&npy(2, "x", &[])[..8]).unwrap(), Extent::AtLeast(12));
        assert_eq!(extent(&npy(2, &"x".repeat(100), &[])[..12]).unwrap(), Extent::AtLeast(112));
    }

    #[test]
    fn extent_rejects_what_parse_rejects() {
        assert!(extent(b"PK\x03").unwrap_err().contains("not a .npy file"));
        assert!(extent(b"\x93NUMPY\x04\x00").unwrap_err().contains("version 4.0"));
        let huge = npy(1, &header("<f8", false, &format!("({},)", usize::MAX / 4 + 1)), &[]);
        assert!(extent(&huge).unwrap_err().contains("too many bytes"));
        let huge = npy(1, &header("<f4", false, "(99999999999, 99999999999)"), &[]);
        assert!(extent(&huge).unwrap_err().contains("too many elements"));
        // The largest header length of version 2 is asked for, not read.
        let mut big = MAGIC.to_vec();
        big.extend_from_slice(&[2, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(extent(&big).unwrap(), Extent::AtLeast(12 + u32::MAX as usize));
    }

    #[test]
    fn opens_files_and_reports_missing_ones() {
        let path = std::env::temp_dir().join(format!("shaped-npy-test-{}.npy", std::process::id()));
        std::fs::write(&path, write_npy_f32(&[1, 2], &[3.0, 4.0])).unwrap();
        let a = NpyArray::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(a, NpyArray { shape: vec![1, 2], data: vec![3.0, 4.0] });
        let err = NpyArray::open(&path).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
