//! `benchbook init DIR`: scaffold a working site that measures something out of the box.
//!
//! The new site has a `site.yaml`, a home page, one section with one lesson, and a
//! benchmark: `benchmarks/build_string.yaml` declares two runners (`concat`, `join`) of one
//! small Python script, `benchmarks/runners/build_string.py` (standard library only), that
//! times building a string with `+=` in a loop and with `"".join`. The lesson shows the
//! verdict of that comparison, its table, what was held equal and a link to the stored
//! result, plus a pitfall, a quiz whose answer comes from the result, code and a table. The
//! first `benchbook build` measures (22 short Python processes: a few seconds) and stores the
//! result in `benchmarks/results/`. `.github/workflows/pages.yml` installs benchbook with
//! `cargo install --git` (its URL is a placeholder, `BENCHBOOK_GIT`, that the author sets),
//! builds with `--frozen` and publishes to GitHub Pages. A `.gitignore` leaves out `public/`.
//!
//! The files are in `src/init/scaffold/` (the workflow as `github-pages.yml`). The site uses
//! the default theme compiled into benchbook, so it has no `themes/` directory of its own
//! (copy `themes/default/` from benchbook's repository to customise it, or put single
//! templates in `templates/`).

use anyhow::{bail, Context};
use std::path::Path;

/// One file of a new site.
#[derive(Debug, Clone, Copy)]
pub struct ScaffoldFile {
    /// Path relative to the new directory.
    pub path: &'static str,
    pub text: &'static str,
    /// Written with mode 0755 (a runner started as a program).
    pub executable: bool,
}

const fn file(path: &'static str, text: &'static str) -> ScaffoldFile {
    ScaffoldFile {
        path,
        text,
        executable: false,
    }
}

/// The runner script of the scaffold's benchmark.
pub const RUNNER_PATH: &str = "benchmarks/runners/build_string.py";

/// The files of a new site.
pub const SCAFFOLD: &[ScaffoldFile] = &[
    file("site.yaml", include_str!("init/scaffold/site.yaml")),
    file(".gitignore", "/public/\n"),
    file(
        "content/_index.md",
        include_str!("init/scaffold/content/_index.md"),
    ),
    file(
        "content/basics/_index.md",
        include_str!("init/scaffold/content/basics/_index.md"),
    ),
    file(
        "content/basics/first-lesson.md",
        include_str!("init/scaffold/content/basics/first-lesson.md"),
    ),
    file(
        "benchmarks/build_string.yaml",
        include_str!("init/scaffold/benchmarks/build_string.yaml"),
    ),
    ScaffoldFile {
        path: RUNNER_PATH,
        text: include_str!("init/scaffold/benchmarks/runners/build_string.py"),
        executable: true,
    },
    file(
        ".github/workflows/pages.yml",
        include_str!("init/scaffold/github-pages.yml"),
    ),
];

/// `benchbook init DIR`: [`create`] the site in `dir`, then say what to do next (unless
/// `quiet`).
pub fn run(dir: &Path, quiet: bool) -> anyhow::Result<()> {
    create(dir)?;
    if !quiet {
        println!(
            "Created a new site in {d}\n\
             Build it with: benchbook build --root {d}\n\
             (the first build measures its example benchmark with python3: a few seconds)\n\
             Then open {d}/public/index.html\n\
             To publish: set BENCHBOOK_GIT in {d}/.github/workflows/pages.yml, commit \
             benchmarks/results/ with the rest, push",
            d = dir.display()
        );
    }
    Ok(())
}

/// Write the scaffold into `dir`, which must not exist or be an empty directory.
pub fn create(dir: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            let mut entries =
                std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
            if entries.next().is_some() {
                bail!(
                    "{} is not empty; expected a new or empty directory (benchbook init never \
                     overwrites files)",
                    dir.display()
                );
            }
        }
        Ok(_) => bail!(
            "{} exists and is not a directory; expected a new or empty directory",
            dir.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", dir.display())),
    }
    for f in SCAFFOLD {
        let path = dir.join(f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, f.text)
            .with_context(|| format!("cannot write {}", path.display()))?;
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("cannot make {} executable", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_non_empty_directory() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
        let err = create(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("is not empty"), "{err}");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
            "mine"
        );
        assert!(!tmp.path().join("site.yaml").exists());
    }

    #[test]
    fn fills_an_empty_directory() {
        let tmp = tempfile::tempdir().unwrap();
        create(tmp.path()).unwrap();
        for f in SCAFFOLD {
            assert_eq!(
                std::fs::read_to_string(tmp.path().join(f.path)).unwrap(),
                f.text
            );
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = |rel: &str| {
            std::fs::metadata(tmp.path().join(rel))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(RUNNER_PATH), 0o755);
        assert_eq!(mode("site.yaml") & 0o111, 0);
    }
}
