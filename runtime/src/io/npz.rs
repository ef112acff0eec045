//! NumPy `.npz` archives: a ZIP file holding one `.npy` file per array.
//!
//! The ZIP container is parsed here directly: the end-of-central-directory record (and its
//! zip64 variant), the central directory, and each entry's local header. Entries may be stored
//! (method 0, what `numpy.savez` writes) or deflated (method 8, `numpy.savez_compressed`);
//! every entry's CRC-32 is checked. Encrypted, split and otherwise compressed archives are
//! rejected with an error that says so.
//!
//! The whole archive is decoded and checked when it is opened, so a corrupt file fails at
//! [`Npz::open`], not half way through loading a model. Nothing here panics on bad bytes.

use std::fmt;
use std::io::Read;
use std::path::Path;

use flate2::read::DeflateDecoder;
use flate2::Crc;

use super::npy::NpyArray;
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

/// An opened `.npz` archive: the `.npy` bytes of every array, by name.
///
/// Array names are the entry names without the `.npy` suffix, e.g. `dense/kernel`. Entries
/// whose names do not end in `.npy` (and directory entries) are ignored, as they hold no array.
pub struct Npz {
    /// Where the archive came from, for error messages.
    path: String,
    /// `(array name, .npy bytes)` in archive order.
    arrays: Vec<(String, Vec<u8>)>,
}

impl Npz {
    /// Reads and decodes the `.npz` file at `path`, checking every entry's CRC-32.
    pub fn open(path: impl AsRef<Path>) -> Result<Npz> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Npz::from_bytes(bytes, &path.display().to_string())
    }

    /// Decodes a `.npz` archive held in memory; `name` stands for its path in error messages.
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> Result<Npz> {
        let entries = read_zip(&bytes).map_err(|detail| Error::format(name, detail))?;
        let mut arrays: Vec<(String, Vec<u8>)> = Vec::with_capacity(entries.len());
        for (entry_name, data) in entries {
            let Some(array_name) = entry_name.strip_suffix(".npy") else {
                continue;
            };
            if arrays.iter().any(|(n, _)| n == array_name) {
                return Err(Error::format(name, format!("the archive holds the entry `{entry_name}` twice")));
            }
            arrays.push((array_name.to_string(), data));
        }
        Ok(Npz { path: name.to_string(), arrays })
    }

    /// The array names in archive order, without the `.npy` suffix (e.g. `"dense/kernel"`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.arrays.iter().map(|(n, _)| n.as_str())
    }

    /// Whether the archive holds an array called `name` (a `.npy` suffix is optional).
    pub fn contains(&self, name: &str) -> bool {
        self.raw(name).is_some()
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

    /// Parses the array called `name` (a `.npy` suffix is optional), converted to `f32`.
    ///
    /// A missing name is an error that lists the names the archive does have.
    pub fn get(&self, name: &str) -> Result<NpyArray> {
        let Some(bytes) = self.raw(name) else {
            let available: Vec<String> = self.names().map(|n| format!("`{n}`")).collect();
            let available = if available.is_empty() { "none".to_string() } else { available.join(", ") };
            return Err(Error::format(
                &self.path,
                format!("there is no array `{name}` in the archive; the arrays are: {available}"),
            ));
        };
        NpyArray::from_bytes(bytes, &format!("{} (array `{}`)", self.path, strip_npy(name)))
    }

    /// The `.npy` bytes of `name`.
    fn raw(&self, name: &str) -> Option<&[u8]> {
        let name = strip_npy(name);
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
    }
}

impl fmt::Debug for Npz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Npz")
            .field("path", &self.path)
            .field("arrays", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

fn strip_npy(name: &str) -> &str {
    name.strip_suffix(".npy").unwrap_or(name)
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

/// Decodes every entry of a ZIP archive into `(entry name, uncompressed bytes)`.
fn read_zip(bytes: &[u8]) -> Detail<Vec<(String, Vec<u8>)>> {
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
        let (name, data, next) = read_entry(bytes, at, index)?;
        if next > dir_end {
            return Err(format!(
                "central directory entry {index} (`{name}`) runs past the end of the directory"
            ));
        }
        at = next;
        if !name.ends_with('/') {
            out.push((name, data));
        }
    }
    Ok(out)
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

/// Reads the central directory entry at `at`, then its local header and data.
///
/// Returns the entry's name, its uncompressed bytes and the offset of the next entry.
fn read_entry(bytes: &[u8], at: usize, index: u64) -> Detail<(String, Vec<u8>, usize)> {
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

    let local = to_usize(local, "local header offset")?;
    let compressed = to_usize(compressed, "compressed size")?;
    let uncompressed = to_usize(uncompressed, "uncompressed size")?;
    let what = format!("the local header of entry `{name}`");
    if u32_at(bytes, local, &what)? != LOCAL_SIG {
        return Err(format!("{what} at offset {local} has a bad signature"));
    }
    let local_name_len = usize::from(u16_at(bytes, add(local, 26, &what)?, &what)?);
    let local_extra_len = usize::from(u16_at(bytes, add(local, 28, &what)?, &what)?);
    let data_start = add(add(add(local, LOCAL_LEN, &what)?, local_name_len, &what)?, local_extra_len, &what)?;
    let data_end = add(data_start, compressed, &what)?;
    let raw = bytes.get(data_start..data_end).ok_or_else(|| {
        format!(
            "truncated: entry `{name}` needs bytes {data_start}..{data_end} but the file has {} bytes",
            bytes.len()
        )
    })?;

    let data = match method {
        0 if compressed != uncompressed => {
            return Err(format!(
                "entry `{name}` is stored uncompressed, yet its sizes differ ({compressed} and {uncompressed} bytes)"
            ))
        }
        0 => raw.to_vec(),
        8 => inflate(raw, uncompressed).map_err(|e| format!("entry `{name}`: {e}"))?,
        other => {
            return Err(format!(
                "entry `{name}` uses compression method {other}; only 0 (stored) and 8 (deflate) are supported"
            ))
        }
    };
    let mut actual = Crc::new();
    actual.update(&data);
    if actual.sum() != crc {
        return Err(format!(
            "entry `{name}` is corrupt: its CRC-32 is {:08x} but the archive records {crc:08x}",
            actual.sum()
        ));
    }
    Ok((name, data, next))
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

/// Inflates raw deflate data that must decompress to exactly `expected` bytes.
fn inflate(raw: &[u8], expected: usize) -> Detail<Vec<u8>> {
    // Read at most one byte more than declared, so a lying header cannot exhaust memory.
    let limit = u64::try_from(expected).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(expected.min(1 << 26));
    DeflateDecoder::new(raw)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| format!("the deflate data is corrupt: {e}"))?;
    if out.len() != expected {
        let found = if out.len() > expected { "more".to_string() } else { out.len().to_string() };
        return Err(format!(
            "the archive records {expected} uncompressed bytes but the data inflates to {found}"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::DeflateEncoder;
    use flate2::Compression;

    use super::*;
    use crate::io::npy::write_npy_f32;

    /// One entry for [`zip`]: name, uncompressed bytes, method (0 or 8).
    type Spec<'a> = (&'a str, &'a [u8], u16);

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

    /// Builds a ZIP archive. With `zip64`, sizes and offsets in the central directory are
    /// saturated and moved to zip64 extra fields, and zip64 end records are written.
    fn zip(entries: &[Spec], zip64: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for &(name, data, method) in entries {
            let payload = if method == 8 { deflate(data) } else { data.to_vec() };
            let offset = out.len() as u32;
            let (crc, csize, usize_) = (crc32(data), payload.len() as u32, data.len() as u32);
            out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 4]); // time, date
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&csize.to_le_bytes());
            out.extend_from_slice(&usize_.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra length
            out.extend_from_slice(name.as_bytes());
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
            central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0]); // versions
            central.extend_from_slice(&0u16.to_le_bytes()); // flags
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 4]); // time, date
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&c_csize.to_le_bytes());
            central.extend_from_slice(&c_usize.to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes()); // comment length
            central.extend_from_slice(&[0; 8]); // disk, internal and external attributes
            central.extend_from_slice(&c_offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
            central.extend_from_slice(&extra);
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
        }
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // disks
        let (count, size, offset) = if zip64 {
            (u16::MAX, u32::MAX, u32::MAX)
        } else {
            (n as u16, central.len() as u32, dir_offset as u32)
        };
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        out
    }

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
    }

    #[test]
    fn a_crc_mismatch_is_an_error() {
        let (a, _) = sample();
        for method in [0, 8] {
            let mut bytes = zip(&[("x.npy", &a, method)], false);
            // Corrupt the CRC recorded in the central directory.
            let dir = bytes.len() - EOCD_LEN - (CENTRAL_LEN + "x.npy".len());
            bytes[dir + 16] ^= 0x55;
            let err = open_err(bytes);
            assert!(err.contains("`x.npy` is corrupt") && err.contains("CRC-32"), "{err}");
        }
        // Corrupt a stored payload byte: the data no longer matches the CRC.
        let mut bytes = zip(&[("x.npy", &a, 0)], false);
        bytes[LOCAL_LEN + "x.npy".len() + 100] ^= 1;
        assert!(open_err(bytes).contains("CRC-32"));
    }

    #[test]
    fn rejects_unsupported_features_by_name() {
        let (a, _) = sample();
        let base = zip(&[("x.npy", &a, 0)], false);
        let dir = base.len() - EOCD_LEN - (CENTRAL_LEN + "x.npy".len());

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
        let mut bytes = zip(&[("x.npy", &a, 8)], false);
        let dir = bytes.len() - EOCD_LEN - (CENTRAL_LEN + "x.npy".len());
        bytes[dir + 24..dir + 28].copy_from_slice(&10u32.to_le_bytes());
        let err = open_err(bytes);
        assert!(err.contains("records 10 uncompressed bytes"), "{err}");
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
