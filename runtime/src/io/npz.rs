//! NumPy `.npz` archives: a ZIP file holding one `.npy` file per array.
//!
//! The ZIP container is parsed here directly: the end-of-central-directory record (and its
//! zip64 variant), the central directory, and each entry's local header. Entries may be stored
//! (method 0, what `numpy.savez` writes) or deflated (method 8, `numpy.savez_compressed`);
//! every entry's CRC-32 is checked. Encrypted, split and otherwise compressed archives are
//! rejected with an error that says so. Nothing here panics on bad bytes.
//!
//! # What is read when
//!
//! [`Npz::open`] and [`Npz::from_bytes`] keep the file's bytes and parse only its ZIP
//! directory: the end records, every central directory entry and every local header. They check
//! that every entry lies inside the file, that no two entries share bytes (entries overlapping
//! one deflated blob are how a small "zip bomb" claims gigabytes), that no array name appears
//! twice, and that every entry is stored or deflated and not encrypted. They inflate nothing, so
//! opening costs time and memory in proportion to the file.
//!
//! [`Npz::get`] decodes the one entry asked for, so a corrupt entry fails only the `get` that
//! reads it. A deflated entry is inflated in two steps. First only its `.npy` header, which
//! gives the array's exact size (shape × dtype size, an overflow being an error); that size must
//! be the uncompressed size the ZIP directory records. Then at most that many bytes are inflated
//! into a buffer of that size: data that inflates to more is an error found one byte past the
//! declared size, not by running out of memory. The CRC-32 is checked last.
//!
//! # Limits
//!
//! Each archive has a budget of decoded bytes. Every `get` adds the entry's uncompressed size
//! (stored entries too, and each repeated `get` of the same array) to a running total, checked
//! against the budget before anything is allocated; the `get` that would take the total over it
//! fails, naming the limit. The default budget is the larger of 1032 × the file's size and
//! 64 MiB: deflate compresses by at most about 1032:1, so an honest archive's arrays fit, and
//! small archives can be read again and again. [`Npz::with_inflate_limit`] sets another.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::DeflateDecoder;
use flate2::Crc;

use super::npy::{self, Extent, NpyArray};
use crate::error::{Error, Result};

/// Signature of a local file header.
const LOCAL_SIG: u32 = 0x0403_4b50;
/// Signature of a central directory file header.
const CENTRAL_SIG: u32 = 0x0201_4b50;
/// Signature of the end-of-central-directory record.
const EOCD_SIG: u32 = 0x0605_4b50;
/// Signature of the zip64 end-of-central-directory record.
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
/// Signature of the zip64 end-of-central-directory locator.
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
/// Extra-field id of the zip64 extended information.
const ZIP64_EXTRA_ID: u16 = 0x0001;
/// Fixed sizes of the records.
const EOCD_LEN: usize = 22;
const ZIP64_LOCATOR_LEN: usize = 20;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;
/// Compression methods.
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// Deflate's largest compression ratio, about 1032:1 (a 258-byte match in 2 bits).
const MAX_DEFLATE_RATIO: u64 = 1032;
/// The smallest default budget of decoded bytes: 64 MiB.
const MIN_DEFAULT_LIMIT: u64 = 64 << 20;

/// An opened `.npz` archive: its bytes and the ZIP directory of its `.npy` entries.
///
/// Array names are the entry names without the `.npy` suffix, e.g. `dense/kernel`. Entries
/// whose names do not end in `.npy` (and directory entries) are ignored, as they hold no array.
/// Arrays are decoded one at a time by [`Npz::get`], within a budget of decoded bytes (see the
/// [module docs](self) and [`Npz::with_inflate_limit`]).
pub struct Npz {
    /// Where the archive came from, for error messages.
    path: String,
    /// The whole file.
    bytes: Vec<u8>,
    /// The `.npy` entries in archive order.
    arrays: Vec<Entry>,
    /// Array name to its index in `arrays`.
    index: HashMap<String, usize>,
    /// The budget of decoded bytes, over all `get` calls.
    limit: u64,
    /// The decoded bytes counted against `limit` so far.
    used: AtomicU64,
}

/// One `.npy` entry, as the ZIP directory describes it.
struct Entry {
    /// The array name: the entry name without `.npy`.
    array: String,
    /// Deflated (method 8) rather than stored (method 0).
    deflated: bool,
    /// The CRC-32 the directory records for the uncompressed bytes.
    crc: u32,
    /// Where the stored or deflated bytes lie in the file.
    data: Range<usize>,
    /// The uncompressed size the directory records.
    size: u64,
}

impl Npz {
    /// Reads the `.npz` file at `path` and parses its ZIP directory; no array is decoded yet.
    ///
    /// A file that is not a well-formed ZIP archive of stored or deflated entries is an
    /// [`Error::Format`]; so are overlapping entries and an array name that appears twice.
    pub fn open(path: impl AsRef<Path>) -> Result<Npz> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Npz::from_bytes(bytes, &path.display().to_string())
    }

    /// Parses the ZIP directory of a `.npz` archive held in memory, as [`Npz::open`] does;
    /// `name` stands for its path in error messages.
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> Result<Npz> {
        let entries = read_zip(&bytes).map_err(|detail| Error::format(name, detail))?;
        let mut arrays: Vec<Entry> = Vec::with_capacity(entries.len());
        let mut index = HashMap::with_capacity(entries.len());
        for entry in entries {
            let Some(array) = entry.name.strip_suffix(".npy") else {
                continue;
            };
            if index.insert(array.to_string(), arrays.len()).is_some() {
                return Err(Error::format(
                    name,
                    format!("the archive holds the entry `{}` twice", entry.name),
                ));
            }
            arrays.push(Entry {
                array: array.to_string(),
                deflated: entry.method == DEFLATED,
                crc: entry.crc,
                data: entry.data,
                size: entry.size,
            });
        }
        let file_len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let limit = file_len.saturating_mul(MAX_DEFLATE_RATIO).max(MIN_DEFAULT_LIMIT);
        Ok(Npz { path: name.to_string(), bytes, arrays, index, limit, used: AtomicU64::new(0) })
    }

    /// Sets the budget of decoded bytes to `bytes`, in place of the default.
    ///
    /// Every [`Npz::get`] counts the uncompressed size of the `.npy` entry it decodes (stored
    /// or deflated, each time it is called) against this budget, before allocating anything;
    /// the `get` that would take the total past it returns an [`Error::Format`] instead. The
    /// default is the larger of 1032 × the file's size and 64 MiB, which an honest archive
    /// cannot exceed in one reading of each array (deflate compresses by at most about 1032:1).
    /// Raise it to read a trusted archive's arrays many times over; lower it to bound what an
    /// untrusted file may cost. The budget counts `.npy` bytes: a 1-byte dtype's array takes 4
    /// times as much memory once converted to `f32`.
    pub fn with_inflate_limit(mut self, bytes: u64) -> Npz {
        self.limit = bytes;
        self
    }

    /// The budget of decoded bytes (see [`Npz::with_inflate_limit`]).
    pub fn inflate_limit(&self) -> u64 {
        self.limit
    }

    /// The decoded bytes counted against the budget so far, over all [`Npz::get`] calls.
    pub fn inflated(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// The array names in archive order, without the `.npy` suffix (e.g. `"dense/kernel"`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.arrays.iter().map(|e| e.array.as_str())
    }

    /// Whether the archive holds an array called `name` (a `.npy` suffix is optional).
    pub fn contains(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    /// The number of arrays in the archive.
    pub fn len(&self) -> usize {
        self.arrays.len()
    }

    /// Whether the archive holds no arrays.
    pub fn is_empty(&self) -> bool {
        self.arrays.is_empty()
    }

    /// The path (or name) the archive was opened from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Decodes the array called `name` (a `.npy` suffix is optional), converted to `f32`.
    ///
    /// Only this entry is inflated, and at most the size its `.npy` header declares, which
    /// must match the ZIP directory; its CRC-32 is checked, and its size is counted against the
    /// archive's budget (see [`Npz::with_inflate_limit`]). Every problem is an
    /// [`Error::Format`] naming the archive and the array. A missing name is an error that
    /// lists the names the archive does have.
    pub fn get(&self, name: &str) -> Result<NpyArray> {
        let Some(entry) = self.entry(name) else {
            let available: Vec<String> = self.names().map(|n| format!("`{n}`")).collect();
            let available = if available.is_empty() { "none".to_string() } else { available.join(", ") };
            return Err(Error::format(
                &self.path,
                format!("there is no array `{name}` in the archive; the arrays are: {available}"),
            ));
        };
        let source = format!("{} (array `{}`)", self.path, entry.array);
        let bytes = self.decode(entry).map_err(|detail| Error::format(&source, detail))?;
        NpyArray::from_bytes(&bytes, &source)
    }

    /// The entry of the array `name`.
    fn entry(&self, name: &str) -> Option<&Entry> {
        self.index.get(strip_npy(name)).and_then(|&i| self.arrays.get(i))
    }

    /// The `.npy` bytes of `entry`: counted against the budget, inflated if need be, CRC-checked.
    fn decode(&self, entry: &Entry) -> Detail<Cow<'_, [u8]>> {
        let raw = self.bytes.get(entry.data.clone()).ok_or_else(|| {
            format!("the entry's data, bytes {}..{}, is outside the file", entry.data.start, entry.data.end)
        })?;
        self.charge(entry)?;
        let data = if entry.deflated {
            let expected = to_usize(entry.size, "the uncompressed size")?;
            Cow::Owned(inflate_npy(raw, expected)?)
        } else {
            Cow::Borrowed(raw)
        };
        let mut actual = Crc::new();
        actual.update(&data);
        if actual.sum() != entry.crc {
            return Err(format!(
                "entry `{}.npy` is corrupt: its CRC-32 is {:08x} but the archive records {:08x}",
                entry.array,
                actual.sum(),
                entry.crc
            ));
        }
        Ok(data)
    }

    /// Counts `entry`'s uncompressed size against the budget, or fails if it does not fit.
    fn charge(&self, entry: &Entry) -> Detail<()> {
        let limit = self.limit;
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(entry.size).filter(|&total| total <= limit)
            })
            .map(|_| ())
            .map_err(|used| {
                format!(
                    "decoding it would take the bytes decoded from this archive to {} ({used} so far and \
                     {} for this array), over the archive's limit of {limit} bytes; if the archive is \
                     trusted, raise the limit with `Npz::with_inflate_limit` (the default is the larger \
                     of 1032 × the file's size and 64 MiB)",
                    used.saturating_add(entry.size),
                    entry.size
                )
            })
    }
}

impl fmt::Debug for Npz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Npz")
            .field("path", &self.path)
            .field("arrays", &self.names().collect::<Vec<_>>())
            .field("inflated", &self.inflated())
            .field("inflate_limit", &self.limit)
            .finish()
    }
}

fn strip_npy(name: &str) -> &str {
    name.strip_suffix(".npy").unwrap_or(name)
}

/// Inflates a deflated `.npy` entry whose ZIP directory records `expected` uncompressed bytes.
///
/// Reads the `.npy` header first and checks that the size it declares is `expected`, then
/// inflates the rest into a buffer of exactly that size. Never more than `expected + 1` bytes
/// are inflated, and nothing is allocated beyond `expected` bytes of output.
fn inflate_npy(raw: impl Read, expected: usize) -> Detail<Vec<u8>> {
    let corrupt = |e: std::io::Error| format!("the deflate data is corrupt: {e}");
    let cap = u64::try_from(expected).unwrap_or(u64::MAX).saturating_add(1);
    let mut reader = DeflateDecoder::new(raw).take(cap);
    let mut out = Vec::new();
    let declared = loop {
        match npy::extent(&out)? {
            Extent::Exactly(len) => break len,
            Extent::AtLeast(need) if need > expected => {
                return Err(format!(
                    "the archive records {expected} uncompressed bytes, but the entry's .npy header needs \
                     at least {need}"
                ))
            }
            Extent::AtLeast(need) => {
                read_up_to(&mut reader, &mut out, need).map_err(corrupt)?;
                if out.len() < need {
                    return Err(format!(
                        "the data inflates to only {} bytes, which end inside the .npy header",
                        out.len()
                    ));
                }
            }
        }
    };
    if declared != expected {
        return Err(format!(
            "the entry's .npy header declares {declared} bytes (header and data) but the archive records \
             {expected} uncompressed bytes"
        ));
    }
    out.reserve_exact(expected.saturating_sub(out.len()));
    read_up_to(&mut reader, &mut out, expected).map_err(corrupt)?;
    if out.len() < expected {
        return Err(format!(
            "the archive records {expected} uncompressed bytes but the data inflates to only {}",
            out.len()
        ));
    }
    // One byte more would be one byte more than both the header and the directory declare.
    let mut probe = Vec::new();
    reader.take(1).read_to_end(&mut probe).map_err(corrupt)?;
    if !probe.is_empty() {
        return Err(format!(
            "the archive records {expected} uncompressed bytes (as does the .npy header) but the data \
             inflates to more"
        ));
    }
    Ok(out)
}

/// Reads from `reader` until `out` holds `len` bytes or the reader ends.
fn read_up_to(reader: &mut impl Read, out: &mut Vec<u8>, len: usize) -> std::io::Result<()> {
    let more = u64::try_from(len.saturating_sub(out.len())).unwrap_or(u64::MAX);
    reader.take(more).read_to_end(out).map(|_| ())
}

type Detail<T> = std::result::Result<T, String>;

/// Little-endian field readers that fail with a message instead of panicking.
fn field<const N: usize>(bytes: &[u8], at: usize, what: &str) -> Detail<[u8; N]> {
    at.checked_add(N).and_then(|end| bytes.get(at..end)).and_then(|s| s.try_into().ok()).ok_or_else(|| {
        format!("truncated: {what} at offset {at} runs past the end of the file ({} bytes)", bytes.len())
    })
}

fn u16_at(bytes: &[u8], at: usize, what: &str) -> Detail<u16> {
    field(bytes, at, what).map(u16::from_le_bytes)
}

fn u32_at(bytes: &[u8], at: usize, what: &str) -> Detail<u32> {
    field(bytes, at, what).map(u32::from_le_bytes)
}

fn u64_at(bytes: &[u8], at: usize, what: &str) -> Detail<u64> {
    field(bytes, at, what).map(u64::from_le_bytes)
}

/// `base + offset`, failing on overflow.
fn add(base: usize, offset: usize, what: &str) -> Detail<usize> {
    base.checked_add(offset).ok_or_else(|| format!("{what}: offset overflows"))
}

/// A 64-bit size or offset as `usize`.
fn to_usize(value: u64, what: &str) -> Detail<usize> {
    usize::try_from(value).map_err(|_| format!("{what} {value} does not fit in memory on this platform"))
}

/// Where the central directory is and how many entries it has.
struct Directory {
    entries: u64,
    offset: usize,
    size: usize,
}

/// One entry of the central directory, with where its local header and data are.
struct ZipEntry {
    name: String,
    /// [`STORED`] or [`DEFLATED`].
    method: u16,
    crc: u32,
    /// The bytes the entry occupies: its local header, name, extra field and data.
    span: Range<usize>,
    /// Its stored or deflated data.
    data: Range<usize>,
    /// The uncompressed size the directory records.
    size: u64,
}

/// Reads and checks the directory of a ZIP archive, every entry's local header included.
///
/// Nothing is inflated: the entries are checked to lie inside the file, not to overlap, and to
/// be stored or deflated, not encrypted.
fn read_zip(bytes: &[u8]) -> Detail<Vec<ZipEntry>> {
    let dir = find_directory(bytes)?;
    let dir_end = add(dir.offset, dir.size, "central directory")?;
    if dir_end > bytes.len() {
        return Err(format!(
            "truncated: the central directory spans bytes {}..{dir_end} but the file has {} bytes",
            dir.offset,
            bytes.len()
        ));
    }
    // Every central entry takes at least CENTRAL_LEN bytes: bound the allocation by that.
    let mut out = Vec::with_capacity(usize::try_from(dir.entries).unwrap_or(0).min(dir.size / CENTRAL_LEN));
    let mut at = dir.offset;
    for index in 0..dir.entries {
        let (entry, next) = read_entry(bytes, at, index)?;
        if next > dir_end {
            return Err(format!(
                "central directory entry {index} (`{}`) runs past the end of the directory",
                entry.name
            ));
        }
        at = next;
        if !entry.name.ends_with('/') {
            out.push(entry);
        }
    }
    check_no_overlap(&out)?;
    Ok(out)
}

/// Fails if two entries share bytes: the "overlapping files" zip bomb, where many directory
/// entries point at one highly compressed blob, claims far more data than the file could hold.
fn check_no_overlap(entries: &[ZipEntry]) -> Detail<()> {
    let mut order: Vec<&ZipEntry> = entries.iter().collect();
    // Sorting is stable, so entries starting at the same byte stay in archive order.
    order.sort_by_key(|e| (e.span.start, e.span.end));
    // In start order, if no entry overlaps the next, none overlaps any other.
    for pair in order.windows(2) {
        if let [a, b] = pair {
            if b.span.start < a.span.end {
                return Err(format!(
                    "entries `{}` (bytes {}..{}) and `{}` (bytes {}..{}) overlap; every entry must have \
                     bytes of its own (overlapping entries are a way to make a small file claim huge \
                     contents, a \"zip bomb\")",
                    a.name, a.span.start, a.span.end, b.name, b.span.start, b.span.end
                ));
            }
        }
    }
    Ok(())
}

/// Finds the end-of-central-directory record (and the zip64 one, if present).
fn find_directory(bytes: &[u8]) -> Detail<Directory> {
    let not_zip = || {
        format!(
            "not a ZIP archive (an .npz file is one): no end-of-central-directory record found in {} bytes; \
             the file may be truncated",
            bytes.len()
        )
    };
    // The record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
    let last = bytes.len().checked_sub(EOCD_LEN).ok_or_else(not_zip)?;
    let lowest = last.saturating_sub(usize::from(u16::MAX));
    let eocd = (lowest..=last)
        .rev()
        .find(|&p| {
            u32_at(bytes, p, "").ok() == Some(EOCD_SIG)
                && u16_at(bytes, p + 20, "").is_ok_and(|c| p + EOCD_LEN + usize::from(c) <= bytes.len())
        })
        .ok_or_else(not_zip)?;

    let disk = u16_at(bytes, eocd + 4, "disk number")?;
    let dir_disk = u16_at(bytes, eocd + 6, "directory disk")?;
    let entries_here = u16_at(bytes, eocd + 8, "entry count")?;
    let entries = u16_at(bytes, eocd + 10, "entry count")?;
    let size = u32_at(bytes, eocd + 12, "directory size")?;
    let offset = u32_at(bytes, eocd + 16, "directory offset")?;

    let locator =
        eocd.checked_sub(ZIP64_LOCATOR_LEN).filter(|&p| u32_at(bytes, p, "").ok() == Some(ZIP64_LOCATOR_SIG));
    if let Some(loc) = locator {
        return find_zip64_directory(bytes, loc);
    }
    if entries == u16::MAX || size == u32::MAX || offset == u32::MAX {
        return Err(
            "the end-of-central-directory record asks for zip64 values, but there is no zip64 locator".into(),
        );
    }
    if disk != 0 || dir_disk != 0 || entries_here != entries {
        return Err("split (multi-disk) ZIP archives are not supported".into());
    }
    Ok(Directory {
        entries: u64::from(entries),
        offset: to_usize(offset.into(), "")?,
        size: to_usize(size.into(), "")?,
    })
}

/// Reads the zip64 end-of-central-directory record that the locator at `loc` points to.
fn find_zip64_directory(bytes: &[u8], loc: usize) -> Detail<Directory> {
    let record_disk = u32_at(bytes, loc + 4, "zip64 locator")?;
    let record = to_usize(u64_at(bytes, loc + 8, "zip64 locator")?, "zip64 record offset")?;
    let disks = u32_at(bytes, loc + 16, "zip64 locator")?;
    if record_disk != 0 || disks > 1 {
        return Err("split (multi-disk) ZIP archives are not supported".into());
    }
    if u32_at(bytes, record, "zip64 end-of-central-directory record")? != ZIP64_EOCD_SIG {
        return Err(format!("the zip64 locator points to offset {record}, where there is no zip64 record"));
    }
    let disk = u32_at(bytes, add(record, 16, "zip64 record")?, "zip64 record")?;
    let dir_disk = u32_at(bytes, add(record, 20, "zip64 record")?, "zip64 record")?;
    let entries_here = u64_at(bytes, add(record, 24, "zip64 record")?, "zip64 record")?;
    let entries = u64_at(bytes, add(record, 32, "zip64 record")?, "zip64 record")?;
    let size = u64_at(bytes, add(record, 40, "zip64 record")?, "zip64 record")?;
    let offset = u64_at(bytes, add(record, 48, "zip64 record")?, "zip64 record")?;
    if disk != 0 || dir_disk != 0 || entries_here != entries {
        return Err("split (multi-disk) ZIP archives are not supported".into());
    }
    Ok(Directory {
        entries,
        offset: to_usize(offset, "zip64 directory offset")?,
        size: to_usize(size, "zip64 directory size")?,
    })
}

/// Reads the central directory entry at `at`, then finds its local header and data.
///
/// Returns the entry and the offset of the next one. The data is not read, only checked to lie
/// inside the file.
fn read_entry(bytes: &[u8], at: usize, index: u64) -> Detail<(ZipEntry, usize)> {
    let what = format!("central directory entry {index}");
    let at_field = |offset: usize| add(at, offset, &what);
    if u32_at(bytes, at, &what)? != CENTRAL_SIG {
        return Err(format!("{what} at offset {at} has a bad signature"));
    }
    let flags = u16_at(bytes, at_field(8)?, &what)?;
    let method = u16_at(bytes, at_field(10)?, &what)?;
    let crc = u32_at(bytes, at_field(16)?, &what)?;
    let mut compressed = u64::from(u32_at(bytes, at_field(20)?, &what)?);
    let mut uncompressed = u64::from(u32_at(bytes, at_field(24)?, &what)?);
    let name_len = usize::from(u16_at(bytes, at_field(28)?, &what)?);
    let extra_len = usize::from(u16_at(bytes, at_field(30)?, &what)?);
    let comment_len = usize::from(u16_at(bytes, at_field(32)?, &what)?);
    let disk = u16_at(bytes, at_field(34)?, &what)?;
    let mut local = u64::from(u32_at(bytes, at_field(42)?, &what)?);

    let name_start = at_field(CENTRAL_LEN)?;
    let extra_start = add(name_start, name_len, &what)?;
    let extra_end = add(extra_start, extra_len, &what)?;
    let next = add(extra_end, comment_len, &what)?;
    let name_bytes = bytes.get(name_start..extra_start).ok_or_else(|| format!("truncated: {what}'s name"))?;
    let name = String::from_utf8_lossy(name_bytes).into_owned();
    let extra = bytes
        .get(extra_start..extra_end)
        .ok_or_else(|| format!("truncated: entry `{name}`'s extra field"))?;

    // Zip64: each saturated field is replaced, in this order, by a u64 in the extra field.
    if compressed == u64::from(u32::MAX)
        || uncompressed == u64::from(u32::MAX)
        || local == u64::from(u32::MAX)
    {
        let zip64 = find_extra(extra, ZIP64_EXTRA_ID)
            .ok_or_else(|| format!("entry `{name}` has zip64 sizes but no zip64 extra field"))?;
        let mut pos = 0;
        for value in [&mut uncompressed, &mut compressed, &mut local] {
            if *value == u64::from(u32::MAX) {
                *value = u64_at(zip64, pos, &format!("entry `{name}`'s zip64 extra field"))?;
                pos += 8;
            }
        }
    }
    if disk != 0 && disk != u16::MAX {
        return Err("split (multi-disk) ZIP archives are not supported".into());
    }
    if flags & 1 != 0 {
        return Err(format!("entry `{name}` is encrypted, which is not supported"));
    }

    match method {
        STORED if compressed != uncompressed => {
            return Err(format!(
                "entry `{name}` is stored uncompressed, yet its sizes differ ({compressed} and {uncompressed} bytes)"
            ))
        }
        STORED | DEFLATED => {}
        other => {
            return Err(format!(
                "entry `{name}` uses compression method {other}; only 0 (stored) and 8 (deflate) are supported"
            ))
        }
    }

    let local = to_usize(local, "local header offset")?;
    let compressed = to_usize(compressed, "compressed size")?;
    let what = format!("the local header of entry `{name}`");
    if u32_at(bytes, local, &what)? != LOCAL_SIG {
        return Err(format!("{what} at offset {local} has a bad signature"));
    }
    let local_name_len = usize::from(u16_at(bytes, add(local, 26, &what)?, &what)?);
    let local_extra_len = usize::from(u16_at(bytes, add(local, 28, &what)?, &what)?);
    let data_start = add(add(add(local, LOCAL_LEN, &what)?, local_name_len, &what)?, local_extra_len, &what)?;
    let data_end = add(data_start, compressed, &what)?;
    if data_end > bytes.len() {
        return Err(format!(
            "truncated: entry `{name}` needs bytes {data_start}..{data_end} but the file has {} bytes",
            bytes.len()
        ));
    }
    let entry =
        ZipEntry { name, method, crc, span: local..data_end, data: data_start..data_end, size: uncompressed };
    Ok((entry, next))
}

/// The data of the extra-field block with `id`, if any.
fn find_extra(mut extra: &[u8], id: u16) -> Option<&[u8]> {
    while extra.len() >= 4 {
        let block_id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let data = extra.get(4..4 + len)?;
        if block_id == id {
            return Some(data);
        }
        extra = &extra[4 + len..];
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use flate2::write::DeflateEncoder;
    use flate2::Compression;

    use super::*;
    use crate::io::npy::write_npy_f32;

    /// One entry for [`zip`]: name, uncompressed bytes, method (0 or 8).
    type Spec<'a> = (&'a str, &'a [u8], u16);

    /// What a directory entry records, for [`local_header`] and [`central_entry`].
    struct Record<'a> {
        name: &'a str,
        method: u16,
        crc: u32,
        compressed: u32,
        uncompressed: u32,
        offset: u32,
        extra: &'a [u8],
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = Crc::new();
        c.update(data);
        c.sum()
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn local_header(r: &Record) -> Vec<u8> {
        let mut out = LOCAL_SIG.to_le_bytes().to_vec();
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&r.method.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // time, date
        out.extend_from_slice(&r.crc.to_le_bytes());
        out.extend_from_slice(&r.compressed.to_le_bytes());
        out.extend_from_slice(&r.uncompressed.to_le_bytes());
        out.extend_from_slice(&(r.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra length
        out.extend_from_slice(r.name.as_bytes());
        out
    }

    fn central_entry(r: &Record) -> Vec<u8> {
        let mut out = CENTRAL_SIG.to_le_bytes().to_vec();
        out.extend_from_slice(&[20, 0, 20, 0]); // versions
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&r.method.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // time, date
        out.extend_from_slice(&r.crc.to_le_bytes());
        out.extend_from_slice(&r.compressed.to_le_bytes());
        out.extend_from_slice(&r.uncompressed.to_le_bytes());
        out.extend_from_slice(&(r.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(r.extra.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        out.extend_from_slice(&[0; 8]); // disk, internal and external attributes
        out.extend_from_slice(&r.offset.to_le_bytes());
        out.extend_from_slice(r.name.as_bytes());
        out.extend_from_slice(r.extra);
        out
    }

    fn end_record(count: u16, size: u32, offset: u32) -> Vec<u8> {
        let mut out = EOCD_SIG.to_le_bytes().to_vec();
        out.extend_from_slice(&[0; 4]); // disks
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        out
    }

    /// Builds a ZIP archive. With `zip64`, sizes and offsets in the central directory are
    /// saturated and moved to zip64 extra fields, and zip64 end records are written.
    fn zip(entries: &[Spec], zip64: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for &(name, data, method) in entries {
            let payload = if method == 8 { deflate(data) } else { data.to_vec() };
            let offset = out.len() as u32;
            let (crc, csize, usize_) = (crc32(data), payload.len() as u32, data.len() as u32);
            let record =
                Record { name, method, crc, compressed: csize, uncompressed: usize_, offset, extra: &[] };
            out.extend_from_slice(&local_header(&record));
            out.extend_from_slice(&payload);

            let mut extra = Vec::new();
            let (c_csize, c_usize, c_offset) = if zip64 {
                extra.extend_from_slice(&ZIP64_EXTRA_ID.to_le_bytes());
                extra.extend_from_slice(&24u16.to_le_bytes());
                extra.extend_from_slice(&u64::from(usize_).to_le_bytes());
                extra.extend_from_slice(&u64::from(csize).to_le_bytes());
                extra.extend_from_slice(&u64::from(offset).to_le_bytes());
                (u32::MAX, u32::MAX, u32::MAX)
            } else {
                (csize, usize_, offset)
            };
            central.extend_from_slice(&central_entry(&Record {
                compressed: c_csize,
                uncompressed: c_usize,
                offset: c_offset,
                extra: &extra,
                ..record
            }));
        }
        let dir_offset = out.len();
        out.extend_from_slice(&central);
        let n = entries.len();
        if zip64 {
            let record = out.len();
            out.extend_from_slice(&ZIP64_EOCD_SIG.to_le_bytes());
            out.extend_from_slice(&44u64.to_le_bytes());
            out.extend_from_slice(&[45, 0, 45, 0]);
            out.extend_from_slice(&[0; 8]); // disks
            out.extend_from_slice(&(n as u64).to_le_bytes());
            out.extend_from_slice(&(n as u64).to_le_bytes());
            out.extend_from_slice(&(central.len() as u64).to_le_bytes());
            out.extend_from_slice(&(dir_offset as u64).to_le_bytes());
            out.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(record as u64).to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&end_record(u16::MAX, u32::MAX, u32::MAX));
        } else {
            out.extend_from_slice(&end_record(n as u16, central.len() as u32, dir_offset as u32));
        }
        out
    }

    /// The offset of central directory entry `index` of an archive without a comment or zip64.
    fn central_at(bytes: &[u8], index: usize) -> usize {
        let eocd = bytes.len() - EOCD_LEN;
        let mut at = u32::from_le_bytes(bytes[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        for _ in 0..index {
            let field = |o: usize| usize::from(u16::from_le_bytes([bytes[at + o], bytes[at + o + 1]]));
            at += CENTRAL_LEN + field(28) + field(30) + field(32);
        }
        at
    }

    /// A deflate bit stream: fields least significant bit first, Huffman codes most first.
    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }

    impl Bits {
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }

        fn code(&mut self, (code, len): (u64, u32)) {
            for i in (0..len).rev() {
                self.put((code >> i) & 1, 1);
            }
        }

        fn finish(mut self) -> Vec<u8> {
            if self.n > 0 {
                self.put(0, 8 - self.n);
            }
            self.out
        }
    }

    /// A raw deflate stream of `prefix` (in stored blocks) followed by `1 + 258 × matches`
    /// zero bytes, at deflate's best ratio: one dynamic block whose codes give the length-258
    /// match and distance 1 one bit each, so every 258 zeros take 2 bits. About 1032:1.
    fn zero_bomb(prefix: &[u8], matches: usize) -> Vec<u8> {
        let mut bits = Bits::default();
        for chunk in prefix.chunks(0xffff) {
            bits.put(0, 3); // not final, stored
            if bits.n > 0 {
                bits.put(0, 8 - bits.n);
            }
            bits.put(chunk.len() as u64, 16);
            bits.put(!(chunk.len() as u16) as u64, 16);
            for &b in chunk {
                bits.put(u64::from(b), 8);
            }
        }
        bits.put(1, 1); // final
        bits.put(2, 2); // dynamic Huffman codes
        bits.put(29, 5); // 257 + 29 = 286 literal/length codes
        bits.put(1, 5); // 1 + 1 = 2 distance codes
        bits.put(14, 4); // 4 + 14 = 18 code length codes, in the order below
                         // Code lengths of the code length alphabet 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12,
                         // 3, 13, 2, 14, 1: symbol 18 (a run of zeros) gets 1 bit, symbols 1 and 2 get 2 bits.
        for len in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
            bits.put(len, 3);
        }
        let (zeros, one, two) = ((0, 1), (0b10, 2), (0b11, 2));
        // Literal/length code lengths: 0 -> 2, 1..=255 -> none, 256 (end) -> 2,
        // 257..=284 -> none, 285 (length 258) -> 1.
        bits.code(two);
        bits.code(zeros);
        bits.put(138 - 11, 7);
        bits.code(zeros);
        bits.put(117 - 11, 7);
        bits.code(two);
        bits.code(zeros);
        bits.put(28 - 11, 7);
        bits.code(one);
        // Distance code lengths: 0 (distance 1) -> 1, 1 -> 1.
        bits.code(one);
        bits.code(one);
        // The data: a literal 0, then length 258 at distance 1 (codes `0` and `0`) again and again.
        bits.code((0b10, 2));
        for _ in 0..matches {
            bits.put(0, 2);
        }
        bits.code((0b11, 2)); // end of block
        bits.finish()
    }

    /// The CRC-32 of `prefix` followed by `zeros` zero bytes, without making all the zeros:
    /// the CRC of one MiB of zeros is appended with `Crc::combine` as often as needed.
    fn crc_with_zeros(prefix: &[u8], zeros: usize) -> u32 {
        const CHUNK: usize = 1 << 20;
        let mut crc = Crc::new();
        crc.update(prefix);
        let mut chunk = Crc::new();
        chunk.update(&vec![0; CHUNK]);
        for _ in 0..zeros / CHUNK {
            crc.combine(&chunk);
        }
        crc.update(&vec![0; zeros % CHUNK]);
        crc.sum()
    }

    /// A version 1.0 `.npy` header for a 1-D `|u1` array of `n` bytes, padded as NumPy does.
    fn u8_header(n: usize) -> Vec<u8> {
        let mut dict = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({n},), }}");
        while (10 + dict.len() + 1) % 64 != 0 {
            dict.push(' ');
        }
        dict.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out
    }

    /// An archive of one deflated entry `x.npy` whose directory records `uncompressed` bytes.
    fn one_entry(payload: &[u8], crc: u32, uncompressed: u32) -> Vec<u8> {
        let record = Record {
            name: "x.npy",
            method: 8,
            crc,
            compressed: payload.len() as u32,
            uncompressed,
            offset: 0,
            extra: &[],
        };
        let mut out = local_header(&record);
        out.extend_from_slice(payload);
        let dir_offset = out.len() as u32;
        let central = central_entry(&record);
        out.extend_from_slice(&central);
        out.extend_from_slice(&end_record(1, central.len() as u32, dir_offset));
        out
    }

    /// A coarse bound on the time a bomb may take to fail, for a loaded machine. Inflating a
    /// 1 GB bomb into nothing takes ~0.5 s even unoptimized, so for one entry this bound only
    /// catches gross regressions; `inflating_reads_only_a_little_of_a_bomb` counts exactly.
    const FAST: Duration = Duration::from_secs(2);

    fn sample() -> (Vec<u8>, Vec<u8>) {
        (write_npy_f32(&[2, 2], &[1.0, 2.0, 3.0, 4.0]), write_npy_f32(&[3], &[0.5, 0.0, 0.0]))
    }

    fn open(bytes: Vec<u8>) -> Npz {
        match Npz::from_bytes(bytes, "t.npz") {
            Ok(npz) => npz,
            Err(e) => panic!("{e}"),
        }
    }

    fn open_err(bytes: Vec<u8>) -> String {
        match Npz::from_bytes(bytes, "t.npz") {
            Ok(npz) => panic!("expected an error, got {npz:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn get_err(npz: &Npz, name: &str) -> String {
        match npz.get(name) {
            Ok(a) => panic!("expected an error, got {a:?}"),
            Err(e) => {
                assert!(matches!(e, Error::Format { .. }), "{e:?}");
                e.to_string()
            }
        }
    }

    #[test]
    fn reads_stored_and_deflated_entries() {
        let (a, b) = sample();
        for zip64 in [false, true] {
            let npz = open(zip(&[("dense/kernel.npy", &a, 0), ("dense/bias.npy", &b, 8)], zip64));
            assert_eq!(npz.names().collect::<Vec<_>>(), ["dense/kernel", "dense/bias"]);
            assert_eq!(npz.len(), 2);
            assert!(!npz.is_empty());
            assert!(npz.contains("dense/bias") && npz.contains("dense/bias.npy") && !npz.contains("dense"));
            let k = npz.get("dense/kernel").unwrap();
            assert_eq!((k.shape.as_slice(), k.data.as_slice()), (&[2, 2][..], &[1.0, 2.0, 3.0, 4.0][..]));
            assert_eq!(npz.get("dense/bias.npy").unwrap().data, [0.5, 0.0, 0.0]);
        }
    }

    #[test]
    fn the_zero_bomb_helper_is_valid_deflate() {
        let prefix = u8_header(3);
        let total = prefix.len() + 1 + 258 * 1000;
        let mut out = Vec::new();
        DeflateDecoder::new(&zero_bomb(&prefix, 1000)[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), total);
        assert_eq!(&out[..prefix.len()], &prefix[..]);
        assert!(out[prefix.len()..].iter().all(|&b| b == 0));
        // 4 matches to the byte: 1032 zeros a byte, plus the block header.
        assert!(zero_bomb(&[], 4_000_000).len() < 1_000_100);
        assert_eq!(crc_with_zeros(&prefix, total - prefix.len()), crc32(&out));
        let zeros = 3 * (1 << 20) + 5;
        assert_eq!(crc_with_zeros(b"ab", zeros), crc32(&[&b"ab"[..], &vec![0; zeros]].concat()));
    }

    #[test]
    fn open_rejects_entries_sharing_one_blob_without_inflating() {
        // Fifty directory entries all point at one ~1 MB deflated blob that inflates to ~1 GB
        // of zeros claimed as a `.npy` array: 50 GB claimed by a 1 MB file. Sizes, header and
        // CRC are all right: only the overlap gives it away. (A reader that inflated every entry
        // at open would take 50 times the ~0.5 s and 1 GB one inflation takes.)
        let matches = 4_000_000;
        let zeros = 1 + 258 * matches;
        let claimed = u8_header(zeros);
        let blob = zero_bomb(&claimed, matches);
        let size = (claimed.len() + zeros) as u32;
        let crc = crc_with_zeros(&claimed, zeros);
        let names: Vec<String> = (0..50).map(|i| format!("{i}.npy")).collect();
        let record = |name| Record {
            name,
            method: 8,
            crc,
            compressed: blob.len() as u32,
            uncompressed: size,
            offset: 0,
            extra: &[],
        };
        let mut bytes = local_header(&record(names[0].as_str()));
        bytes.extend_from_slice(&blob);
        let dir_offset = bytes.len() as u32;
        let central: Vec<u8> = names.iter().flat_map(|n| central_entry(&record(n.as_str()))).collect();
        bytes.extend_from_slice(&central);
        bytes.extend_from_slice(&end_record(50, central.len() as u32, dir_offset));
        assert!(bytes.len() < 1_100_000, "{} bytes", bytes.len());

        let start = Instant::now();
        let err = open_err(bytes);
        assert!(start.elapsed() < FAST, "took {:?}", start.elapsed());
        assert!(err.starts_with("cannot read t.npz: entries `0.npy`"), "{err}");
        assert!(err.contains("and `1.npy`") && err.contains("overlap"), "{err}");

        // Entries that overlap only partly are rejected too: here `a` claims 50 bytes more than
        // it has, running into `b`'s local header.
        let (a, b) = sample();
        let mut bytes = zip(&[("a.npy", &a, 0), ("b.npy", &b, 0)], false);
        let first = central_at(&bytes, 0);
        let longer = (a.len() as u32 + 50).to_le_bytes();
        bytes[first + 20..first + 24].copy_from_slice(&longer);
        bytes[first + 24..first + 28].copy_from_slice(&longer);
        let b_start = LOCAL_LEN + "a.npy".len() + a.len();
        let err = open_err(bytes);
        let a_span = format!("`a.npy` (bytes 0..{})", b_start + 50);
        assert!(err.contains(&a_span) && err.contains(&format!("`b.npy` (bytes {b_start}..")), "{err}");
    }

    #[test]
    fn get_stops_inflating_at_the_size_the_header_declares() {
        // The `.npy` header declares 16 bytes of data, but the stream goes on with ~1 GB of zeros.
        let header = u8_header(16);
        let npy_len = header.len() + 16;
        let blob = zero_bomb(&header, 4_000_000);
        let real_len = header.len() + 1 + 258 * 4_000_000;

        // The directory agrees with the header: inflating stops one byte past it.
        let npz = open(one_entry(&blob, 0, npy_len as u32));
        let start = Instant::now();
        let err = get_err(&npz, "x");
        assert!(start.elapsed() < FAST, "took {:?}", start.elapsed());
        assert!(err.starts_with("cannot read t.npz (array `x`):"), "{err}");
        assert!(err.contains(&format!("records {npy_len} uncompressed bytes")), "{err}");
        assert!(err.contains("inflates to more"), "{err}");

        // The directory tells the truth about the stream: the header disagrees, found before the
        // data is inflated, even with no budget to stop it.
        let npz = open(one_entry(&blob, 0, real_len as u32)).with_inflate_limit(u64::MAX);
        let start = Instant::now();
        let err = get_err(&npz, "x");
        assert!(start.elapsed() < FAST, "took {:?}", start.elapsed());
        assert!(err.contains(&format!("declares {npy_len} bytes")), "{err}");
        assert!(err.contains(&format!("records {real_len} uncompressed")), "{err}");

        // A header that honestly claims the gigabyte is stopped by the budget before inflating.
        let claimed = u8_header(1 + 258 * 4_000_000);
        let blob = zero_bomb(&claimed, 4_000_000);
        let size = (claimed.len() + 1 + 258 * 4_000_000) as u32;
        let npz = open(one_entry(&blob, 0, size)).with_inflate_limit(1 << 20);
        let start = Instant::now();
        let err = get_err(&npz, "x");
        assert!(start.elapsed() < FAST, "took {:?}", start.elapsed());
        assert!(err.contains("limit of 1048576 bytes") && err.contains("with_inflate_limit"), "{err}");
        assert_eq!(npz.inflated(), 0);
    }

    #[test]
    fn inflating_reads_only_a_little_of_a_bomb() {
        /// Counts the compressed bytes the decoder pulls.
        struct Counting<'a>(&'a [u8], &'a std::cell::Cell<usize>);
        impl Read for Counting<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.read(buf)?;
                self.1.set(self.1.get() + n);
                Ok(n)
            }
        }
        let header = u8_header(16);
        let blob = zero_bomb(&header, 4_000_000);
        let pulled = std::cell::Cell::new(0);
        let err = inflate_npy(Counting(&blob, &pulled), header.len() + 16).unwrap_err();
        assert!(err.contains("inflates to more"), "{err}");
        assert!(pulled.get() < blob.len() / 10, "read {} of {} bytes", pulled.get(), blob.len());
    }

    #[test]
    fn get_decodes_only_its_own_entry() {
        let (a, b) = sample();
        for method in [0, 8] {
            let mut bytes = zip(&[("good.npy", &a, method), ("bad.npy", &b, method)], false);
            // A wrong CRC for `bad`, and garbage in its data.
            let bad = central_at(&bytes, 1);
            bytes[bad + 16] ^= 0x55;
            let npz = open(bytes.clone());
            assert_eq!(npz.get("good").unwrap().data, [1.0, 2.0, 3.0, 4.0]);
            let err = get_err(&npz, "bad");
            assert!(err.starts_with("cannot read t.npz (array `bad`):") && err.contains("CRC-32"), "{err}");

            let data = u32::from_le_bytes(bytes[bad + 42..bad + 46].try_into().unwrap()) as usize
                + LOCAL_LEN
                + "bad.npy".len();
            bytes[data..data + 4].copy_from_slice(b"junk");
            let npz = open(bytes);
            assert_eq!(npz.get("good").unwrap().shape, [2, 2]);
            assert!(get_err(&npz, "bad").contains("(array `bad`)"));
        }
    }

    #[test]
    fn the_budget_stops_the_get_that_crosses_it() {
        let (a, b) = sample();
        let (a_len, b_len) = (a.len() as u64, b.len() as u64);
        for method in [0, 8] {
            let bytes = zip(&[("a.npy", &a, method), ("b.npy", &b, method)], false);
            let npz = open(bytes).with_inflate_limit(2 * a_len + b_len - 1);
            assert_eq!(npz.inflate_limit(), 2 * a_len + b_len - 1);
            npz.get("a").unwrap();
            npz.get("b").unwrap();
            assert_eq!(npz.inflated(), a_len + b_len);
            let err = get_err(&npz, "a");
            assert!(err.starts_with("cannot read t.npz (array `a`):"), "{err}");
            assert!(err.contains(&format!("limit of {} bytes", 2 * a_len + b_len - 1)), "{err}");
            assert!(err.contains("`Npz::with_inflate_limit`"), "{err}");
            // A refused `get` counts nothing, and a smaller array still fits.
            assert_eq!(npz.inflated(), a_len + b_len);
            assert_eq!(npz.get("b").unwrap().data, [0.5, 0.0, 0.0]);
            assert!(npz.get("b").is_err());
        }
    }

    #[test]
    fn the_default_budget_is_1032_times_the_file_but_at_least_64_mib() {
        let (a, _) = sample();
        assert_eq!(open(zip(&[("a.npy", &a, 8)], false)).inflate_limit(), 64 << 20);
        let big = write_npy_f32(&[20_000], &vec![0.0; 20_000]);
        let bytes = zip(&[("big.npy", &big, 0)], false);
        let len = bytes.len() as u64;
        assert!(len * 1032 > 64 << 20);
        assert_eq!(open(bytes).inflate_limit(), len * 1032);
        // A size recorded past the budget is refused before anything is allocated.
        let mut bytes = zip(&[("a.npy", &a, 8)], false);
        let at = central_at(&bytes, 0);
        bytes[at + 24..at + 28].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
        let err = get_err(&open(bytes), "a");
        assert!(err.contains(&format!("limit of {} bytes", 64 << 20)), "{err}");
    }

    #[test]
    fn a_missing_key_names_it_and_lists_the_others() {
        let (a, b) = sample();
        let npz = open(zip(&[("x.npy", &a, 0), ("y.npy", &b, 0)], false));
        let err = npz.get("dense/kernel").unwrap_err().to_string();
        assert!(err.contains("t.npz") && err.contains("`dense/kernel`") && err.contains("`x`, `y`"), "{err}");
        let empty = open(zip(&[], false));
        assert!(empty.is_empty());
        assert!(empty.get("x").unwrap_err().to_string().contains("arrays are: none"));
    }

    #[test]
    fn skips_non_npy_entries_and_rejects_duplicates() {
        let (a, _) = sample();
        let npz = open(zip(&[("dir/", b"", 0), ("readme.txt", b"hi", 0), ("x.npy", &a, 0)], false));
        assert_eq!(npz.names().collect::<Vec<_>>(), ["x"]);
        let err = open_err(zip(&[("x.npy", &a, 0), ("x.npy", &a, 8)], false));
        assert!(err.contains("`x.npy` twice"), "{err}");
    }

    #[test]
    fn a_bad_npy_entry_names_the_archive_and_the_array() {
        let npz = open(zip(&[("w.npy", b"\x93NUMPY\x01\x00garbage", 0)], false));
        let err = npz.get("w").unwrap_err().to_string();
        assert!(err.starts_with("cannot read t.npz (array `w`):"), "{err}");
        // Deflated, the header is read before the data and fails the same way.
        let npz = open(zip(&[("w.npy", b"\x93NUMPY\x01\x00garbage", 8)], false));
        let err = npz.get("w").unwrap_err().to_string();
        assert!(err.starts_with("cannot read t.npz (array `w`):"), "{err}");
        let npz = open(zip(&[("w.npy", b"not an npy file at all", 8)], false));
        assert!(get_err(&npz, "w").contains("not a .npy file"));
    }

    #[test]
    fn a_crc_mismatch_is_an_error_of_get() {
        let (a, _) = sample();
        for method in [0, 8] {
            let mut bytes = zip(&[("x.npy", &a, method)], false);
            // Corrupt the CRC recorded in the central directory.
            let dir = central_at(&bytes, 0);
            bytes[dir + 16] ^= 0x55;
            let err = get_err(&open(bytes), "x");
            assert!(err.contains("`x.npy` is corrupt") && err.contains("CRC-32"), "{err}");
        }
        // Corrupt a stored payload byte: the data no longer matches the CRC.
        let mut bytes = zip(&[("x.npy", &a, 0)], false);
        bytes[LOCAL_LEN + "x.npy".len() + 100] ^= 1;
        assert!(get_err(&open(bytes), "x").contains("CRC-32"));
    }

    #[test]
    fn rejects_unsupported_features_by_name() {
        let (a, _) = sample();
        let base = zip(&[("x.npy", &a, 0)], false);
        let dir = central_at(&base, 0);

        let mut bzip2 = base.clone();
        bzip2[dir + 10] = 12;
        assert!(open_err(bzip2).contains("compression method 12"));

        let mut encrypted = base.clone();
        encrypted[dir + 8] = 1;
        assert!(open_err(encrypted).contains("encrypted"));

        let mut split = base.clone();
        let eocd = base.len() - EOCD_LEN;
        split[eocd + 4] = 1;
        assert!(open_err(split).contains("multi-disk"));

        let mut saturated = base;
        saturated[eocd + 16..eocd + 20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(open_err(saturated).contains("no zip64 locator"));
    }

    #[test]
    fn rejects_non_zip_input() {
        for bytes in [Vec::new(), b"PK".to_vec(), vec![0; 100], write_npy_f32(&[1], &[1.0])] {
            let err = open_err(bytes);
            assert!(err.contains("not a ZIP archive"), "{err}");
        }
    }

    #[test]
    fn a_lying_uncompressed_size_is_an_error() {
        let (a, _) = sample();
        let lie = |size: u32| {
            let mut bytes = zip(&[("x.npy", &a, 8)], false);
            let dir = central_at(&bytes, 0);
            bytes[dir + 24..dir + 28].copy_from_slice(&size.to_le_bytes());
            get_err(&open(bytes), "x")
        };
        let err = lie(10);
        assert!(err.contains("records 10 uncompressed bytes") && err.contains("header needs"), "{err}");
        let err = lie(a.len() as u32 + 1);
        assert!(err.contains(&format!("declares {} bytes", a.len())), "{err}");
    }

    #[test]
    fn truncation_and_corruption_are_errors_not_panics() {
        let (a, b) = sample();
        for zip64 in [false, true] {
            let bytes = zip(&[("a.npy", &a, 0), ("b.npy", &b, 8)], zip64);
            for len in 0..bytes.len() {
                assert!(Npz::from_bytes(bytes[..len].to_vec(), "t").is_err(), "prefix of {len} bytes");
            }
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut corrupt = bytes.clone();
                    corrupt[i] ^= flip;
                    if let Ok(npz) = Npz::from_bytes(corrupt, "t") {
                        let names: Vec<String> = npz.names().map(String::from).collect();
                        for name in names {
                            let _ = npz.get(&name);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn opens_files_and_reports_io_errors() {
        let (a, _) = sample();
        let path = std::env::temp_dir().join(format!("shaped-npz-test-{}.npz", std::process::id()));
        std::fs::write(&path, zip(&[("x.npy", &a, 8)], false)).unwrap();
        let npz = Npz::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(npz.path(), path.display().to_string());
        assert_eq!(npz.get("x").unwrap().shape, [2, 2]);
        assert!(format!("{npz:?}").contains("[\"x\"]"));
        let err = Npz::open(&path).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
