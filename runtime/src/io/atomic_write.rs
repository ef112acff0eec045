//! [`write_atomically`]: replaces a file's contents all at once, so a failed or interrupted
//! save never destroys the previous file.
//!
//! The new contents go to a temporary file beside the target (a name of its own, from the
//! `tempfile` crate, so two saves to one path never share it), which is written, synced and
//! renamed over the target. Around that:
//!
//! - a symbolic link is written through: the file it points to gets the new contents and the
//!   link stays a link;
//! - the target's permissions are kept (a `0600` file stays `0600`); a new file gets the
//!   usual `0666` less the umask; a read-only target is an `Err`, not silently replaced;
//! - a temporary file left by a save that was killed (it holds no lock any more, and is older
//!   than a minute) is removed by the next save to the same path, so kills do not fill the
//!   disk; one that a live save is writing holds an exclusive lock and is left alone;
//! - every error names the caller's path, never the temporary one.

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The suffix of the temporary files, which the sweep for stale ones looks for.
const TEMP_SUFFIX: &str = ".shaped-tmp";

/// How old an unlocked temporary file must be before a later save removes it: long enough that
/// a save which has just created its file but not yet locked it is never swept.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// The most symbolic links followed from `path` (Linux's own limit, `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// Writes `bytes` to `path` atomically (see the module docs). On any error `path` is as it was.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = follow_links(path)?;
    let file_name = target.file_name().ok_or_else(|| Error::InvalidArgument {
        name: "path",
        detail: format!("{} does not name a file", path.display()),
    })?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let existing = match fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => {
            return Err(Error::InvalidArgument {
                name: "path",
                detail: format!("{} is a directory, not a file", path.display()),
            })
        }
        Ok(meta) if meta.permissions().readonly() => {
            return Err(Error::InvalidArgument {
                name: "path",
                detail: format!(
                    "{} is read-only; make it writable or save to another path (shaped does not replace read-only files)",
                    path.display()
                ),
            })
        }
        Ok(meta) => Some(meta.permissions()),
        Err(_) => None,
    };
    let prefix = format!(".{}.", file_name.to_string_lossy());
    sweep_stale(&dir, &prefix);

    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A new file: 0666 less the umask, as `File::create` gives.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let context = |what: &str, e: std::io::Error| {
        Error::io(path, std::io::Error::new(e.kind(), format!("{what}: {}", root_cause(&e))))
    };
    let mut temp = builder
        .tempfile_in(&dir)
        .map_err(|e| context(&format!("cannot create a temporary file in {}", dir.display()), e))?;
    // Held until the file is renamed (or removed on error): a concurrent save's sweep sees the
    // lock and leaves the file alone.
    temp.as_file().lock().map_err(|e| context("cannot lock the temporary file", e))?;
    if let Some(permissions) = existing {
        temp.as_file()
            .set_permissions(permissions)
            .map_err(|e| context("cannot copy the file's permissions", e))?;
    }
    temp.write_all(bytes)
        .and_then(|()| temp.flush())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| context("cannot write", e))?;
    temp.persist(&target).map_err(|e| context("cannot replace the file", e.error))?;
    sync_dir(&dir);
    Ok(())
}

/// The innermost cause of an I/O error, as the OS states it (`tempfile` wraps its errors
/// with the temporary file's path, which the caller never chose and should not see).
fn root_cause(e: &std::io::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let text = cause.to_string();
    match text.split_once(" at path \"") {
        Some((reason, _)) => reason.to_string(),
        None => text,
    }
}

/// `path` with every symbolic link along the final component followed (relative links are
/// read against the link's directory); a link to a file that does not exist yet gives that
/// file's path.
fn follow_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current).map_err(|e| Error::io(path, e))?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(Error::InvalidArgument {
        name: "path",
        detail: format!("{} is a chain of more than {MAX_LINKS} symbolic links", path.display()),
    })
}

/// Removes the temporary files of earlier saves to the same file that were killed: those
/// named `{prefix}*{TEMP_SUFFIX}` in `dir`, older than [`STALE_AFTER`], that no live save holds
/// locked. Best effort: a file that cannot be examined is left alone.
fn sweep_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(prefix) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| SystemTime::now().duration_since(t).is_ok_and(|age| age >= STALE_AFTER));
        if !old {
            continue;
        }
        let Ok(file) = fs::OpenOptions::new().write(true).open(entry.path()) else { continue };
        if file.try_lock().is_ok() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Best effort: makes the rename durable by syncing the directory (Unix only).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory for one test.
    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new().prefix(&format!("shaped-{name}-")).tempdir().expect("temp dir")
    }

    fn temp_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_file() {
        let dir = scratch("replace");
        let path = dir.path().join("w.bin");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert!(temp_files(dir.path()).is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_callers_path() {
        let dir = scratch("missing");
        let path = dir.path().join("no-such-dir").join("w.bin");
        let err = write_atomically(&path, b"x").unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
        assert!(!err.contains(TEMP_SUFFIX), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_kept_and_read_only_files_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        let path = dir.path().join("w.bin");
        write_atomically(&path, b"a").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&path, b"b").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
        let err = write_atomically(&path, b"c").unwrap_err().to_string();
        assert!(err.contains("read-only"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"b");
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_a_symbolic_link() {
        let dir = scratch("link");
        let real = dir.path().join("real.bin");
        let link = dir.path().join("link.bin");
        write_atomically(&real, b"old").unwrap();
        std::os::unix::fs::symlink("real.bin", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn stale_temporary_files_are_swept_and_live_ones_kept() {
        let dir = scratch("sweep");
        let path = dir.path().join("w.bin");
        let old = SystemTime::now() - 2 * STALE_AFTER;
        // Left by a killed save: unlocked and old.
        let stale = dir.path().join(format!(".w.bin.killed{TEMP_SUFFIX}"));
        fs::File::create(&stale).unwrap().set_modified(old).unwrap();
        // Being written by a live save: locked (old too, so only the lock protects it).
        let live = dir.path().join(format!(".w.bin.live{TEMP_SUFFIX}"));
        let handle = fs::File::create(&live).unwrap();
        handle.set_modified(old).unwrap();
        handle.lock().unwrap();
        // Another file's temporary file is not ours to remove.
        let other = dir.path().join(format!(".other.bin.killed{TEMP_SUFFIX}"));
        fs::File::create(&other).unwrap().set_modified(old).unwrap();

        write_atomically(&path, b"data").unwrap();
        assert_eq!(
            temp_files(dir.path()),
            [format!(".other.bin.killed{TEMP_SUFFIX}"), format!(".w.bin.live{TEMP_SUFFIX}")]
        );
        drop(handle);
    }

    #[test]
    fn concurrent_saves_each_write_a_whole_file() {
        let dir = scratch("threads");
        let path = dir.path().join("w.bin");
        let contents: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 1 << 16]).collect();
        std::thread::scope(|s| {
            for bytes in &contents {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..10 {
                        write_atomically(path, bytes).unwrap();
                    }
                });
            }
        });
        let written = fs::read(&path).unwrap();
        assert!(contents.contains(&written), "the file holds one save's bytes, whole");
        assert!(temp_files(dir.path()).is_empty());
    }
}
