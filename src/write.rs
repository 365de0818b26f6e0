//! The `write` stage: the whole output tree, swapped into place at the end.
//!
//! Every file is first written into a fresh temporary directory beside the output directory
//! (same filesystem, so renames are atomic). Only when all of them are written is the old
//! output renamed away, the new one renamed into place, and the old one deleted. A failure
//! at any point before the swap leaves the previous output untouched.
//!
//! Ctrl-C while writing (see [`crate::interrupt`]) stops the writers, removes the temporary
//! directory and returns [`Interrupted`] (exit 130); the previous output stays as it was. The
//! swap and the deletion of the old tree are not interrupted: a Ctrl-C that arrives then
//! returns [`InterruptedAfterWrite`] (exit 130, saying that the new site is in place).
//!
//! Two builds writing the same output take turns: each holds [`OutputLock`] (an exclusive
//! lock on `.<out>.lock` beside the output) from before it makes its temporary directory
//! until its old tree is deleted, and a second build waits, saying for whom. So every
//! `.<out>.tmp-*` or `.<out>.old-*` found while holding the lock belongs to a build that is
//! gone, and only those are removed.

use crate::error::{Interrupted, InterruptedAfterWrite, UsageError};
use crate::interrupt::{interrupted, Deferred};
use crate::model::OutputFile;
use anyhow::{bail, Context};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashSet};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

/// Make `p` absolute (relative to the current directory) and resolve `.`/`..` and the
/// symlinks of its longest existing ancestor.
pub fn absolute(p: &Path) -> std::io::Result<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    };
    let mut clean = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    // Canonicalise the part that exists; keep the rest as written.
    let mut existing = clean.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(name) => {
                rest.push(name.to_os_string());
                existing.pop();
            }
            None => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    Ok(out)
}

/// Check the output directory for the site at `root`: it may not be the root, contain the
/// root, or lie inside `content/`; if it exists it must be a directory that is empty or looks
/// like a built site (has `index.html`), so a mistyped `--out` never deletes a user's files.
/// Returns its absolute path. Refusals are [`UsageError`]s (exit 2).
pub fn check_out_dir(root: &Path, out: &Path) -> anyhow::Result<PathBuf> {
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot open the site root {}", root.display()))?;
    let out_abs = absolute(out).with_context(|| format!("cannot resolve {}", out.display()))?;
    let shown = out.display();
    if out_abs == root {
        return Err(UsageError(format!(
            "--out {shown} is the site root; expected a directory of its own, such as public/"
        ))
        .into());
    }
    if root.starts_with(&out_abs) {
        return Err(UsageError(format!(
            "--out {shown} contains the site root; expected a directory of its own, such as public/"
        ))
        .into());
    }
    if out_abs.starts_with(root.join("content")) {
        return Err(UsageError(format!(
            "--out {shown} is inside content/; expected a directory outside the site's sources, such as public/"
        ))
        .into());
    }
    for sources in ["themes", "templates", "benchmarks"] {
        if out_abs.starts_with(root.join(sources)) {
            return Err(UsageError(format!(
                "--out {shown} is inside {sources}/, which holds the site's sources; expected a directory of its own, such as public/"
            ))
            .into());
        }
    }
    if out_abs.join("site.yaml").exists() || out_abs.join("content").is_dir() {
        return Err(UsageError(format!(
            "--out {shown} holds a site (site.yaml or content/); expected a directory of its own, such as public/"
        ))
        .into());
    }
    if out_abs.exists() {
        if !out_abs.is_dir() {
            return Err(UsageError(format!(
                "--out {shown} exists and is not a directory; expected a directory"
            ))
            .into());
        }
        let mut entries = std::fs::read_dir(&out_abs)
            .with_context(|| format!("cannot read {}", out_abs.display()))?;
        let empty = entries.next().is_none();
        if !empty && !out_abs.join("index.html").is_file() {
            return Err(UsageError(format!(
                "--out {shown} is not empty and has no index.html, so it is not a built site; expected an empty or previously built directory (remove it or choose another --out)"
            ))
            .into());
        }
    }
    Ok(out_abs)
}

fn checked_rel(path: &Path) -> anyhow::Result<()> {
    if path.as_os_str().is_empty()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        bail!(
            "output path {} is not a plain relative path (a bug in benchbook)",
            path.display()
        );
    }
    Ok(())
}

/// An exclusive lock on `<parent>/.<name>.lock`, the file holding its owner's pid. Dropping
/// it deletes the file, then unlocks: a build that was waiting on the deleted file notices
/// (the path no longer names the file it locked) and locks the new one instead.
pub struct OutputLock {
    file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Lock the output `<parent>/<name>`, waiting for another build that holds it (and
    /// saying so on stderr, with its pid).
    pub fn acquire(parent: &Path, name: &str) -> anyhow::Result<OutputLock> {
        let path = parent.join(format!(".{name}.lock"));
        loop {
            let mut file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot open the lock file {}", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let holder = match holder.trim() {
                        "" => String::new(),
                        pid => format!(" (pid {pid})"),
                    };
                    eprintln!(
                        "another build is writing {}{holder}; waiting for it to finish",
                        parent.join(name).display()
                    );
                    file.lock()
                        .with_context(|| format!("cannot lock {}", path.display()))?;
                }
                Err(TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
            if !still_at(&file, &path) {
                continue;
            }
            file.set_len(0)
                .and_then(|()| write!(file, "{}", std::process::id()))
                .with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(OutputLock { file, path });
        }
    }
}

/// Whether `path` still names the open `file` (the previous holder deletes it on release).
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Delete first, unlock second (when `file` closes): see the type's doc.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Remove leftovers of interrupted builds (`.public.tmp-*`, `.public.old-*` beside `out`).
fn clean_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let tmp = format!(".{name}.tmp-");
    let old = format!(".{name}.old-");
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if (n.starts_with(&tmp) || n.starts_with(&old)) && e.path().is_dir() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Write `files` as the new contents of `out_dir` (created if missing), atomically: see the
/// module doc. Two files with the same path are an error (and nothing is replaced).
pub fn write(out_dir: &Path, files: Vec<OutputFile>) -> anyhow::Result<()> {
    let out_dir = absolute(out_dir)?;
    let parent = out_dir
        .parent()
        .with_context(|| format!("{} has no parent directory", out_dir.display()))?
        .to_path_buf();
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{} has no name", out_dir.display()))?;
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;

    let mut seen = HashSet::new();
    let mut dirs = BTreeSet::new();
    for f in &files {
        let p = f.path();
        checked_rel(p)?;
        if !seen.insert(p.to_path_buf()) {
            bail!(
                "two output files would be written to {} (a bug in benchbook or the theme)",
                p.display()
            );
        }
        if let Some(d) = p.parent() {
            dirs.insert(d.to_path_buf());
        }
    }
    // The lock is taken before Ctrl-C is deferred (a Ctrl-C while waiting exits at once:
    // nothing is on disk yet) and released last, after the partial or the old tree is gone.
    // From here until the swap, Ctrl-C is handled by checks of `interrupted()`: an early
    // return drops `tmp`, which deletes the partial tree (before `defer`, declared first).
    // (Should the handler be impossible to install, Ctrl-C kills the process as it would
    // without one, and the next build removes the leftovers.)
    let _lock = OutputLock::acquire(&parent, &name)?;
    let defer = Deferred::new().ok();
    if interrupted() {
        return Err(Interrupted.into());
    }
    clean_leftovers(&parent, &name);
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .tempdir_in(&parent)
        .with_context(|| {
            format!(
                "cannot create a temporary directory in {}",
                parent.display()
            )
        })?;
    for d in &dirs {
        let full = tmp.path().join(d);
        std::fs::create_dir_all(&full)
            .with_context(|| format!("cannot create {}", full.display()))?;
    }
    files.par_iter().try_for_each(|f| -> anyhow::Result<()> {
        if interrupted() {
            return Err(Interrupted.into());
        }
        let dest = tmp.path().join(f.path());
        match f {
            OutputFile::Bytes { bytes, .. } => std::fs::write(&dest, bytes.as_slice())
                .with_context(|| format!("cannot write {}", dest.display())),
            OutputFile::Copy { from, .. } => std::fs::copy(from, &dest)
                .map(|_| ())
                .with_context(|| format!("cannot copy {} to {}", from.display(), dest.display())),
        }
    })?;
    // Directories made by tempfile are 0700; a published site should be readable.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755));
    }

    if interrupted() {
        return Err(Interrupted.into());
    }

    // The swap and the deletion of the old tree: not interrupted (Ctrl-C now only sets the
    // flag, reported once the new site is in place).
    let new_dir = tmp.keep();
    if std::fs::symlink_metadata(&out_dir).is_ok() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        if let Err(e) = std::fs::rename(&out_dir, &old) {
            let _ = std::fs::remove_dir_all(&new_dir);
            return Err(e).with_context(|| format!("cannot move {} aside", out_dir.display()));
        }
        if let Err(e) = std::fs::rename(&new_dir, &out_dir) {
            let _ = std::fs::rename(&old, &out_dir);
            let _ = std::fs::remove_dir_all(&new_dir);
            return Err(e)
                .with_context(|| format!("cannot move the new site to {}", out_dir.display()));
        }
        // The new site is in place; failing to delete the old one loses nothing (the next
        // build removes the leftover).
        let _ = std::fs::remove_dir_all(&old);
    } else if let Err(e) = std::fs::rename(&new_dir, &out_dir) {
        let _ = std::fs::remove_dir_all(&new_dir);
        return Err(e)
            .with_context(|| format!("cannot move the new site to {}", out_dir.display()));
    }
    drop(defer);
    if interrupted() {
        return Err(InterruptedAfterWrite(out_dir).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(path: &str, s: &str) -> OutputFile {
        OutputFile::Bytes {
            path: PathBuf::from(path),
            bytes: s.as_bytes().to_vec().into(),
        }
    }

    #[test]
    fn writes_and_replaces_the_whole_tree() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let src = dir.path().join("img.png");
        std::fs::write(&src, b"PNG").unwrap();
        write(
            &out,
            vec![
                bytes("index.html", "one"),
                bytes("a/b.html", "b"),
                OutputFile::Copy {
                    path: PathBuf::from("a/img.png"),
                    from: src,
                },
            ],
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/b.html")).unwrap(), "b");
        assert_eq!(std::fs::read(out.join("a/img.png")).unwrap(), b"PNG");
        write(&out, vec![bytes("index.html", "two")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "two"
        );
        assert!(!out.join("a").exists(), "stale files are gone");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".public")), "{names:?}");
    }

    #[test]
    fn concurrent_writes_take_turns_and_leave_no_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let many = |tag: &str| -> Vec<OutputFile> {
            (0..400)
                .map(|i| bytes(&format!("d{}/p{i}.html", i % 7), tag))
                .chain([bytes("index.html", tag)])
                .collect()
        };
        std::thread::scope(|s| {
            let writers: Vec<_> = ["a", "b", "c", "d"]
                .map(|tag| {
                    let out = &out;
                    let files = many(tag);
                    s.spawn(move || write(out, files))
                })
                .into_iter()
                .collect();
            for w in writers {
                w.join().unwrap().unwrap();
            }
        });
        let index = std::fs::read_to_string(out.join("index.html")).unwrap();
        for i in 0..400 {
            let page = out.join(format!("d{}/p{i}.html", i % 7));
            assert_eq!(
                std::fs::read_to_string(page).unwrap(),
                index,
                "one build's tree"
            );
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["public"],
            "no temporary tree, old tree or lock file left"
        );
    }

    #[test]
    fn a_lock_file_left_by_a_killed_build_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".public.lock"), "999999").unwrap();
        std::fs::create_dir(dir.path().join(".public.tmp-dead")).unwrap();
        write(&dir.path().join("public"), vec![bytes("index.html", "x")]).unwrap();
        assert!(!dir.path().join(".public.lock").exists());
        assert!(
            !dir.path().join(".public.tmp-dead").exists(),
            "its leftover is removed"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_old_tree() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&out, vec![bytes("index.html", "old")]).unwrap();
        let err = write(
            &out,
            vec![
                bytes("index.html", "new"),
                OutputFile::Copy {
                    path: PathBuf::from("x.png"),
                    from: dir.path().join("missing.png"),
                },
            ],
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("missing.png"), "{err:#}");
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old"
        );
        let err = write(&out, vec![bytes("a.html", "1"), bytes("a.html", "2")]).unwrap_err();
        assert!(err.to_string().contains("two output files"));
        assert!(write(&out, vec![bytes("../evil.html", "x")]).is_err());
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old"
        );
    }

    #[test]
    fn refuses_dangerous_output_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("content/a")).unwrap();
        let usage = |out: &Path| {
            let err = check_out_dir(&root, out).unwrap_err();
            assert!(err.downcast_ref::<UsageError>().is_some(), "{err}");
            err.to_string()
        };
        assert!(usage(&root).contains("is the site root"));
        assert!(usage(dir.path()).contains("contains the site root"));
        assert!(usage(&root.join("content/a/out")).contains("inside content/"));
        std::fs::create_dir_all(root.join("templates")).unwrap();
        std::fs::write(root.join("templates/index.html"), "{{ x }}").unwrap();
        assert!(usage(&root.join("templates")).contains("inside templates/"));
        let other = dir.path().join("other-site");
        std::fs::create_dir_all(other.join("content")).unwrap();
        std::fs::write(other.join("index.html"), "").unwrap();
        assert!(usage(&other).contains("holds a site"));
        let stuff = dir.path().join("stuff");
        std::fs::create_dir_all(&stuff).unwrap();
        std::fs::write(stuff.join("notes.txt"), "mine").unwrap();
        assert!(usage(&stuff).contains("not a built site"));
        assert_eq!(
            check_out_dir(&root, &root.join("public")).unwrap(),
            root.canonicalize().unwrap().join("public")
        );
    }
}
