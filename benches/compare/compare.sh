#!/usr/bin/env bash
# Time `benchbook build` against mdBook and Zola on the same generated content.
#
#   benches/compare/compare.sh [LESSONS ...]        (default: 1000)
#
# For each size: generate a benchbook site of LESSONS lessons (examples/gen_site.rs), convert
# the same markdown into an mdBook book and a Zola site, build each tool twice over, once with
# its reader features (search index, print page) and once without, and print one table:
# wall time (hyperfine), CPU time, peak RSS (/usr/bin/time), output size.
#
# Environment (all optional):
#   BENCHBOOK, GEN_SITE   binaries to use (default: built here with `cargo build --release`)
#   MDBOOK, ZOLA          binaries (default: found on PATH or in TOOLS_BIN); a missing one is
#                         skipped with a note
#   TOOLS_BIN             extra directory searched for mdbook and zola (default /work/tools/bin)
#   ONLY                  tools to measure, e.g. "benchbook zola" (default: all found)
#   RUNS=5 WARMUP=1       hyperfine runs and warm-up runs per command
#   RSS_RUNS=3            runs under /usr/bin/time for peak RSS (the median is reported)
#   SLOW_SECONDS=60       a build slower than this (mdBook on 10,000 lessons takes minutes) gets
#   SLOW_RUNS=3           SLOW_RUNS timed runs, no warm-up besides the checked build, whose
#                         peak RSS is then the only RSS sample
#   MAX_LOAD=1.5          wait (up to MAX_WAIT=600 s) until the 1-minute load is below this
#   RESULTS_DIR           where JSON and logs go (default: target/compare in the repository)
#   WORK_DIR              scratch directory (default: a new temporary one, removed at exit)
#   KEEP=1                keep the generated sites and outputs (default: each size's are
#                         removed once measured)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
RSS_RUNS=${RSS_RUNS:-3}
SLOW_SECONDS=${SLOW_SECONDS:-60}
SLOW_RUNS=${SLOW_RUNS:-3}
MAX_LOAD=${MAX_LOAD:-1.5}
MAX_WAIT=${MAX_WAIT:-600}
RESULTS_DIR=${RESULTS_DIR:-$REPO/target/compare}
TOOLS_BIN=${TOOLS_BIN:-/work/tools/bin}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000)
for n in "${SIZES[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: '$n' is not a number of lessons; expected a positive integer" >&2; exit 2; }
done

die() { echo "compare.sh: $*" >&2; exit 1; }
command -v hyperfine >/dev/null || die "hyperfine not found; install it (apt-get install hyperfine)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found; install it (apt-get install time)"
command -v python3 >/dev/null || die "python3 not found"

find_tool() { # name -> path or empty
    if command -v "$1" >/dev/null; then command -v "$1"
    elif [ -x "$TOOLS_BIN/$1" ]; then echo "$TOOLS_BIN/$1"
    fi
}
MDBOOK=${MDBOOK:-$(find_tool mdbook)}
ZOLA=${ZOLA:-$(find_tool zola)}

if [ -z "${WORK_DIR:-}" ]; then
    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/benchbook-compare.XXXXXX")
    [ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK_DIR"' EXIT
fi
mkdir -p "$WORK_DIR/bin" "$RESULTS_DIR"

# Freeze the binaries: copies, so that a rebuild in the checkout during the run changes nothing.
if [ -z "${BENCHBOOK:-}" ] || [ -z "${GEN_SITE:-}" ]; then
    (cd "$REPO" && cargo build --release --quiet --bin benchbook --example gen_site)
fi
cp "${BENCHBOOK:-$REPO/target/release/benchbook}" "$WORK_DIR/bin/benchbook"
cp "${GEN_SITE:-$REPO/target/release/examples/gen_site}" "$WORK_DIR/bin/gen_site"
BB=$WORK_DIR/bin/benchbook

TOOLS=(benchbook)
[ -n "$MDBOOK" ] && TOOLS+=(mdbook) || echo "note: mdbook not found (set MDBOOK or TOOLS_BIN); its rows are skipped"
[ -n "$ZOLA" ] && TOOLS+=(zola) || echo "note: zola not found (set ZOLA or TOOLS_BIN); its rows are skipped"
if [ -n "${ONLY:-}" ]; then # e.g. ONLY="benchbook zola" to re-measure some tools
    [[ " $ONLY " == *" mdbook "* ]] || MDBOOK=
    [[ " $ONLY " == *" zola "* ]] || ZOLA=
    [[ " $ONLY " == *" benchbook "* ]] || die "ONLY must include benchbook (its site is the source of the others)"
    TOOLS=(benchbook)
    [ -z "$MDBOOK" ] || TOOLS+=(mdbook)
    [ -z "$ZOLA" ] || TOOLS+=(zola)
fi

load1() { cut -d' ' -f1 /proc/loadavg; }
wait_quiet() {
    local waited=0
    while python3 -c "import sys; sys.exit(0 if float('$(load1)') > float('$MAX_LOAD') else 1)"; do
        if [ "$waited" -ge "$MAX_WAIT" ]; then
            echo "note: load is still $(load1) after ${waited}s; measuring anyway"
            return
        fi
        [ "$waited" -gt 0 ] || echo "waiting for the 1-minute load ($(load1)) to fall below $MAX_LOAD ..."
        sleep 15
        waited=$((waited + 15))
    done
}

# convert SRC_SITE MDBOOK_DIR ZOLA_DIR: the benchbook site's markdown as an mdBook book and a
# Zola site, pages in the same order (section weight, then page weight).
convert() {
    python3 - "$@" <<'PY'
import json, os, posixpath, re, sys

src, md_dir, zola_dir = sys.argv[1:4]
content = os.path.join(src, "content")

def split_front_matter(text):
    """YAML front matter as flat `key: value` strings (all that gen_site writes), and the body."""
    meta, body = {}, text
    if text.startswith("---\n"):
        end = text.index("\n---\n", 3)
        for line in text[4:end].splitlines():
            m = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
            if m:
                meta[m.group(1)] = m.group(2).strip().strip("'\"")
        body = text[end + 5:]
    return meta, body

def weight(meta):
    try:
        return int(meta.get("weight", 0))
    except ValueError:
        return 0

def read(rel):
    with open(os.path.join(content, rel), encoding="utf-8") as f:
        return split_front_matter(f.read())

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)

# sections: (weight, dir, meta, body, [(weight, file, meta, body)])
sections = []
for dirpath, dirnames, filenames in os.walk(content):
    rel = os.path.relpath(dirpath, content).replace(os.sep, "/")
    rel = "" if rel == "." else rel
    if "_index.md" not in filenames:
        continue
    meta, body = read(posixpath.join(rel, "_index.md"))
    pages = []
    for f in filenames:
        if f.endswith(".md") and f != "_index.md":
            pm, pb = read(posixpath.join(rel, f))
            pages.append((weight(pm), f, pm, pb))
    pages.sort(key=lambda p: (p[0], p[1]))
    sections.append((weight(meta), rel, meta, body, pages))
sections.sort(key=lambda s: (s[1] != "", s[0], s[1]))  # home first

def with_heading(meta, body):
    """Front matter's title as a `# ` heading, unless the body already opens with one."""
    if body.lstrip().startswith("# "):
        return body
    return f"# {meta.get('title', '')}\n\n{body}"

# --- mdBook: src/SUMMARY.md in reading order; links to .md files work as they are.
summary = ["# Summary", ""]
for _, rel, meta, body, pages in sections:
    index = posixpath.join(rel, "index.md")
    write(os.path.join(md_dir, "src", index), with_heading(meta, body))
    if rel == "":
        summary += [f"[{meta.get('title', 'Home')}]({index})", ""]
        indent = ""
    else:
        summary.append(f"- [{meta.get('title', rel)}]({index})")
        indent = "    "
    for _, f, pm, pb in pages:
        path = posixpath.join(rel, f)
        write(os.path.join(md_dir, "src", path), with_heading(pm, pb))
        summary.append(f"{indent}- [{pm.get('title', f)}]({path})" if rel else f"- [{pm.get('title', f)}]({path})")
write(os.path.join(md_dir, "src", "SUMMARY.md"), "\n".join(summary) + "\n")

# --- Zola: TOML front matter; relative .md links become @/ links so that Zola checks them.
link = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|/|#|@)([^)\s]+?\.md)(#[^)\s]*)?\)")

def zola_links(rel_dir, body):
    def fix(m):
        target = posixpath.normpath(posixpath.join(rel_dir, m.group(1)))
        return f"](@/{target}{m.group(2) or ''})"
    return link.sub(fix, body)

def toml_front(pairs):
    lines = [f"{k} = {json.dumps(v)}" for k, v in pairs if v is not None]
    return "+++\n" + "\n".join(lines) + "\n+++\n"

for w, rel, meta, body, pages in sections:
    write(os.path.join(zola_dir, "content", rel, "_index.md"),
          toml_front([("title", meta.get("title", rel)), ("weight", w), ("sort_by", "weight")])
          + zola_links(rel, body))
    for pw, f, pm, pb in pages:
        write(os.path.join(zola_dir, "content", rel, f),
              toml_front([("title", pm.get("title", f)), ("description", pm.get("description")),
                          ("weight", pw)])
              + zola_links(rel, pb))
PY
}

# make_variants DIR: the six site trees for one size under DIR.
make_variants() {
    local d=$1 n=$2
    "$WORK_DIR/bin/gen_site" "$d/bb-full" "$n" >/dev/null
    cp -r "$d/bb-full" "$d/bb-lean"
    printf 'search: false\nprint: false\n' >>"$d/bb-lean/site.yaml"
    if [ -n "$MDBOOK" ] || [ -n "$ZOLA" ]; then
        convert "$d/bb-full" "$d/md-full" "$d/zola-full"
    fi
    if [ -n "$MDBOOK" ]; then
        cp -r "$d/md-full" "$d/md-lean"
        for v in full lean; do
            local on=true
            [ $v = full ] || on=false
            cat >"$d/md-$v/book.toml" <<EOF
[book]
title = "Generated site of $n pages"
authors = ["gen_site"]
language = "en"

[output.html.search]
enable = $on

[output.html.print]
enable = $on
EOF
        done
    fi
    if [ -n "$ZOLA" ]; then
        mkdir -p "$d/zola-full/templates"
        cat >"$d/zola-full/templates/index.html" <<'EOF'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ config.title }}</title></head>
<body><main>{{ section.content | safe }}
<ul>{% for s in section.subsections %}{% set sub = get_section(path=s, metadata_only=true) %}<li><a href="{{ sub.permalink }}">{{ sub.title }}</a></li>{% endfor %}</ul>
</main></body></html>
EOF
        cat >"$d/zola-full/templates/section.html" <<'EOF'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ section.title }} · {{ config.title }}</title></head>
<body><main>{{ section.content | safe }}
<ul>{% for p in section.pages %}<li><a href="{{ p.permalink }}">{{ p.title }}</a></li>{% endfor %}</ul>
</main></body></html>
EOF
        cat >"$d/zola-full/templates/page.html" <<'EOF'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }} · {{ config.title }}</title>
<meta name="description" content="{{ page.description }}"></head>
<body><main>{{ page.content | safe }}</main>
<nav>{% if page.lower %}<a href="{{ page.lower.permalink }}">{{ page.lower.title }}</a>{% endif %}
{% if page.higher %}<a href="{{ page.higher.permalink }}">{{ page.higher.title }}</a>{% endif %}</nav>
</body></html>
EOF
        cp -r "$d/zola-full" "$d/zola-lean"
        for v in full lean; do
            local on=true
            [ $v = full ] || on=false
            cat >"$d/zola-$v/config.toml" <<EOF
base_url = "http://127.0.0.1"
title = "Generated site of $n pages"
compile_sass = false
build_search_index = $on

[markdown]
github_alerts = true

[markdown.highlighting]
theme = "github-dark"
style = "class"
EOF
        done
    fi
}

# cmd NAME DIR OUT: the build command line of one variant (no shell syntax: hyperfine -N).
cmd() {
    case $1 in
        benchbook-*) echo "$BB build -q --root $2 --out $3" ;;
        mdbook-*) echo "$MDBOOK build $2 -d $3" ;;
        zola-*) echo "$ZOLA --root $2 build --output-dir $3 --force" ;;
    esac
}

echo "benchbook $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'), ${MDBOOK:+$("$MDBOOK" --version), }${ZOLA:+$("$ZOLA" --version), }$(hyperfine --version)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), scratch $WORK_DIR"

for n in "${SIZES[@]}"; do
    d=$WORK_DIR/n$n
    rm -rf "$d"
    mkdir -p "$d/out" "$d/logs"
    make_variants "$d" "$n"
    pages=$(find "$d/bb-full/content" -name '*.md' | wc -l)

    names=()
    for t in "${TOOLS[@]}"; do names+=("$t-full" "$t-lean"); done
    declare -A src=([benchbook-full]=bb-full [benchbook-lean]=bb-lean [mdbook-full]=md-full
                    [mdbook-lean]=md-lean [zola-full]=zola-full [zola-lean]=zola-lean)

    # One checked build each first (under /usr/bin/time: wall seconds and peak RSS): a tool
    # that fails or warns is seen before any timing.
    for name in "${names[@]}"; do
        # shellcheck disable=SC2046 # cmd prints a plain word list
        if ! /usr/bin/time -f '%e %M' -o "$d/logs/$name.time" \
            $(cmd "$name" "$d/${src[$name]}" "$d/out/$name") >"$d/logs/$name.log" 2>&1; then
            cat "$d/logs/$name.log" >&2
            die "$name failed on $n lessons (log above)"
        fi
    done
    "$BB" build -v --root "$d/bb-full" --out "$d/out/benchbook-full" 2>"$d/logs/benchbook-full-stages.log" >/dev/null
    "$BB" build -v --root "$d/bb-lean" --out "$d/out/benchbook-lean" 2>"$d/logs/benchbook-lean-stages.log" >/dev/null

    wait_quiet
    load_before=$(load1)
    : >"$RESULTS_DIR/hyperfine-$n.txt"
    : >"$RESULTS_DIR/rss-$n.tsv"
    rm -f "$RESULTS_DIR/hyperfine-$n-"*.json
    for name in "${names[@]}"; do
        read -r secs kb <"$d/logs/$name.time"
        runs=$RUNS warmup=$WARMUP rss_runs=$RSS_RUNS
        if python3 -c "import sys; sys.exit(0 if $secs > $SLOW_SECONDS else 1)"; then
            # A build of minutes: the checked build was the warm-up and gives the RSS sample.
            runs=$SLOW_RUNS warmup=0 rss_runs=0
            printf '%s\t%s\n' "$name" "$kb" >>"$RESULTS_DIR/rss-$n.tsv"
        fi
        hyperfine -N --warmup "$warmup" --runs "$runs" --style basic \
            --export-json "$RESULTS_DIR/hyperfine-$n-$name.json" \
            -n "$name" "$(cmd "$name" "$d/${src[$name]}" "$d/out/$name")" >>"$RESULTS_DIR/hyperfine-$n.txt" 2>&1
        for _ in $(seq "$rss_runs"); do
            # shellcheck disable=SC2046
            /usr/bin/time -f %M -o "$d/rss" $(cmd "$name" "$d/${src[$name]}" "$d/out/$name") >/dev/null 2>&1
            printf '%s\t%s\n' "$name" "$(tail -n1 "$d/rss")" >>"$RESULTS_DIR/rss-$n.tsv"
        done
    done
    load_after=$(load1)

    : >"$RESULTS_DIR/size-$n.tsv"
    for name in "${names[@]}"; do
        printf '%s\t%s\t%s\t%s\n' "$name" "$(du -sb "$d/out/$name" | cut -f1)" \
            "$(find "$d/out/$name" -type f | wc -l)" \
            "$(grep -ciE 'warn|error' "$d/logs/$name.log" || true)" >>"$RESULTS_DIR/size-$n.tsv"
    done

    echo
    echo "== $n lessons ($pages markdown pages), 1-min load $load_before before timing, $load_after after"
    python3 - "$n" "$pages" "$RESULTS_DIR" <<'PY'
import json, statistics, sys
n, pages, res = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import glob
runs = {}
for f in sorted(glob.glob(f"{res}/hyperfine-{n}-*.json")):
    for r in json.load(open(f))["results"]:
        runs[r["command"]] = r
order = ["benchbook-full", "benchbook-lean", "mdbook-full", "mdbook-lean", "zola-full", "zola-lean"]
runs = {k: runs[k] for k in order if k in runs}
rss, size = {}, {}
for line in open(f"{res}/rss-{n}.tsv"):
    name, kb = line.split()
    rss.setdefault(name, []).append(int(kb))
for line in open(f"{res}/size-{n}.tsv"):
    name, b, files, warns = line.split()
    size[name] = (int(b), int(files), int(warns))
label = {"full": "search+print", "lean": "no search/print"}
head = ("tool", "features", "pages", "runs", "median s", "min–max s", "pages/s", "cpu s",
        "peak RSS MB", "output MB", "files", "warn lines")
rows = []
for name, r in runs.items():
    tool, v = name.rsplit("-", 1)
    feat = label[v]
    if tool == "zola":
        feat = "search" if v == "full" else "none (default)"
    elif v == "full":
        feat += " (default)"
    med = statistics.median(r["times"])
    b, files, warns = size[name]
    rows.append((tool, feat, str(pages), str(len(r["times"])), f"{med:.3f}", f"{min(r['times']):.3f}–{max(r['times']):.3f}",
                 f"{pages / med:,.0f}", f"{r['user'] + r['system']:.2f}",
                 f"{statistics.median(rss[name]) / 1024:.0f}", f"{b / 1e6:.1f}", str(files), str(warns)))
w = [max(len(x[i]) for x in rows + [head]) for i in range(len(head))]
for x in [head] + rows:
    print("  ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(x)))
PY
    echo "benchbook stages (build -v, search+print | none):"
    paste "$d/logs/benchbook-full-stages.log" "$d/logs/benchbook-lean-stages.log" | sed 's/^/  /'
    [ "${KEEP:-0}" = 1 ] || rm -rf "$d" # outputs of 10,000 lessons take gigabytes
done

cat <<'EOF'

runs = timed runs after one warm-up; a build slower than SLOW_SECONDS gets SLOW_RUNS runs, and
its checked build stands for warm-up and the peak-RSS sample. cpu s = mean user+system time
per build (above the wall time: more than one core at work).
Link checks are not equal and are left so: benchbook fails the build on any broken internal
link or anchor; Zola checks only @/ links (the converter turns every relative .md link into
one) and their anchors; mdBook checks no links by default.
Highlighting: benchbook and Zola highlight code at build time; mdBook leaves it to highlight.js
in the browser. Zola has no print page; its templates here are minimal (no sidebar, no
breadcrumbs), where benchbook's and mdBook's themes render a full page around every lesson.
EOF
echo "raw results: $RESULTS_DIR"
