//! `benchbook init DIR`: scaffold a working site.
//!
//! The new site has a `site.yaml`, a home page, one section with one lesson holding a
//! pitfall, a quiz, a code block and a table, and a `.gitignore` for `public/`. It uses
//! the default theme compiled into benchbook, so it has no `themes/` directory of its
//! own (copy `themes/default/` from benchbook's repository to customise it, or put
//! single templates in `templates/`).

use crate::cli::{Global, InitArgs};
use anyhow::{bail, Context};
use std::path::Path;

/// The files of a new site: (path relative to the new directory, contents).
pub const SCAFFOLD: &[(&str, &str)] = &[
    ("site.yaml", SITE_YAML),
    (".gitignore", "/public/\n"),
    ("content/_index.md", HOME),
    ("content/basics/_index.md", SECTION),
    ("content/basics/first-lesson.md", LESSON),
];

const SITE_YAML: &str = "\
# Site settings. Keys: title, description, author, language, base_url, theme, search.
title: My measured report
description: A report whose numbers are measured, not written.
author: Your Name
language: en
theme: default
# Where the site is published: enables sitemap.xml and canonical links.
# base_url: https://your-name.github.io/your-repo/
";

const HOME: &str = "\
---
title: My measured report
description: Start here.
---

Welcome. This site was made by `benchbook init`. Each folder under `content/` is a
section, each `.md` file a lesson. Build it with:

```sh
benchbook build
```

and open `public/index.html` in a browser, straight from disk.
";

const SECTION: &str = "\
---
title: Basics
description: The first steps.
weight: 1
---

This section holds one lesson. Add more `.md` files beside it; `weight` orders them.
";

const LESSON: &str = r#"---
title: Your first lesson
description: A pitfall, a quiz, some code and a table.
weight: 1
tags: [example]
---

## Timing code

Time several runs of the same work and quote the median, never a single run:

```python
import time

def median_time(work, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]
```

> [!CAUTION]
> **Timing the first run.** The first call pays for caches, lazy
> initialisation and compilation. Run the work once as a warm-up and leave it out of
> the figures.

## What to report

| What           | Why                                |
|----------------|------------------------------------|
| Median         | Robust to a few slow runs          |
| Spread         | Shows how much the runs varied     |
| Number of runs | Tells how much to trust the median |

> [!TIP]
> Keep the machine quiet while measuring: close other programs.

## Check yourself

```quiz
question: Which figure should a benchmark report quote?
choices:
  - text: The fastest run
    explain: The fastest run is an outlier by definition.
  - text: The median of several runs
    correct: true
    explain: The median is robust to a few slow or fast runs.
  - text: The first run
    explain: The first run includes warm-up costs.
```
"#;

pub fn run(global: &Global, args: &InitArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    create(dir)?;
    if !global.quiet {
        println!(
            "Created a new site in {d}\nBuild it with: benchbook build --root {d}\nThen open {d}/public/index.html",
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
    for (rel, text) in SCAFFOLD {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
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
        for (rel, text) in SCAFFOLD {
            assert_eq!(
                std::fs::read_to_string(tmp.path().join(rel)).unwrap(),
                *text
            );
        }
    }
}
