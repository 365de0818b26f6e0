"""Stand-ins for the CUDA libraries the PyPI torch wheel links but a CPU run never calls.

The torch wheel on PyPI is the CUDA build: libtorch_python.so and libtorch_cuda.so (loaded by
every `import torch`) list libcudnn, libcublas, libnccl, libcusparse... as NEEDED, and those
come in nvidia-* wheels of several GB. On a CPU nothing in them is ever called (the real
libcudart, which is installed, reports no device), so instead of installing them this writes,
for each missing library, a small shared library of the same name that defines every symbol
torch's libraries import from it. Each stand-in aborts the process with the symbol's name if
it is ever called, so a mistake cannot go unnoticed.

Defined symbols (not empty files) matter: Python loads extension modules with RTLD_NOW, so an
undefined symbol fails `import torch` (e.g. "undefined symbol: nvshmemx_mc_ptr, version
NVSHMEM") — and TensorFlow crashes when imported with RTLD_LAZY, and Inductor's compile
workers import torch in fresh processes, so lazy binding is no way out.

Usage (after the wheels are installed): python cuda_stubs.py SITE_PACKAGES
Needs `nm`, `readelf` (binutils) and `cc`, which torch.compile's Inductor needs anyway.
Prints one line per stand-in written; exit 1 with a message on failure.
"""

import glob
import os
import re
import subprocess
import sys
import sysconfig
import tempfile

# Where the stand-ins go: a directory on the RPATH of torch's libraries
# ($ORIGIN/../../nvidia/cu13/lib), next to the real libcudart and libcupti.
STUB_SUBDIR = os.path.join("nvidia", "cu13", "lib")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed: {r.stderr.strip()}")
    return r.stdout


def needed(lib):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", lib]))


def rpath_dirs(lib):
    m = re.search(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[([^\]]*)\]", run(["readelf", "-d", lib]))
    if not m:
        return []
    origin = os.path.dirname(os.path.abspath(lib))
    return [os.path.normpath(p.replace("$ORIGIN", origin)) for p in m.group(1).split(":") if p]


def system_libs():
    """name -> path of the libraries the dynamic linker's cache knows (x86-64)."""
    out = {}
    for line in run(["ldconfig", "-p"]).splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and "x86-64" in m.group(2):
            out.setdefault(m.group(1), m.group(3))
    return out


def symbols(lib):
    """(defined names, undefined [(name, version or None)]) of a shared library."""
    defined, undefined = set(), []
    for line in run(["nm", "-D", "--with-symbol-versions", lib]).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            name, _, version = parts[1].partition("@")
            undefined.append((name, version.lstrip("@") or None))
        elif len(parts) == 3 and parts[1] not in ("U", "w", "v"):
            defined.add(parts[2].split("@")[0])
    return defined, undefined


def version_files(lib):
    """version name -> the file it is needed from (readelf's .gnu.version_r)."""
    out, current = {}, None
    for line in run(["readelf", "-V", "--wide", lib]).splitlines():
        m = re.search(r"File: (\S+)", line)
        if m:
            current = m.group(1)
            continue
        m = re.search(r"Name: (\S+)", line)
        if m and current:
            out[m.group(1)] = current
    return out


def stub_source(names):
    lines = [
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "static void called(const char *name) {",
        '  fprintf(stderr, "benchbook: the CPU-only stand-in of a CUDA library was called: %s\\n", name);',
        "  abort();",
        "}",
    ]
    for i, name in enumerate(sorted(names)):
        lines.append(f'void s{i}(void) __asm__("{name}");')
        lines.append(f'void s{i}(void) {{ called("{name}"); }}')
    return "\n".join(lines) + "\n"


def main(site):
    torch_lib = os.path.join(site, "torch", "lib")
    all_libs = glob.glob(os.path.join(torch_lib, "*.so*"))
    roots = glob.glob(os.path.join(site, "torch", "_C*.so")) + glob.glob(os.path.join(torch_lib, "libtorch_global_deps.so"))
    if len(roots) != 2:
        raise RuntimeError(f"torch/_C*.so or torch/lib/libtorch_global_deps.so not found under {site}")
    known = system_libs()
    stub_dir = os.path.join(site, STUB_SUBDIR)
    present = {}  # soname -> path of every library that is really there (not a stand-in)
    for lib in all_libs:
        present[os.path.basename(lib)] = lib
    for lib in all_libs:
        for d in rpath_dirs(lib):
            for p in glob.glob(os.path.join(d, "*.so*")):
                if not is_stub(p):
                    present.setdefault(os.path.basename(p), p)
    # torch's libraries that `import torch` loads: the closure of torch._C and the global
    # deps over NEEDED (libcaffe2_nvrtc, libtorch_cuda_linalg... are opened for CUDA only).
    libs, todo = [], list(roots)
    while todo:
        lib = todo.pop()
        if lib in libs:
            continue
        libs.append(lib)
        todo += [present[n] for n in needed(lib) if n in present and present[n] in all_libs]
    missing = set()
    for lib in libs:
        for n in needed(lib):
            if n not in present and n not in known:
                missing.add(n)
    if not missing:
        return
    # Every symbol defined by what is really loaded: torch, the real CUDA libraries, the
    # system's libraries they need, and libpython (the interpreter's own symbols).
    defined = set()
    sources = list(present.values())
    for lib in sources:
        for n in needed(lib):
            if n in known:
                sources.append(known[n])
    libpython = os.path.join(sysconfig.get_config_var("LIBDIR") or "", sysconfig.get_config_var("LDLIBRARY") or "")
    if os.path.isfile(libpython):
        sources.append(libpython)
    sources.append(os.path.realpath(sys.executable))
    for p in set(sources):
        try:
            defined |= symbols(p)[0]
        except RuntimeError:
            pass  # an executable without dynamic symbols
    wanted = {m: {} for m in missing}  # stub -> {symbol: version or None}
    for lib in libs:
        files = version_files(lib)
        lib_missing = [n for n in needed(lib) if n in missing]
        for name, version in symbols(lib)[1]:
            if name in defined:
                continue
            target = files.get(version) if version else None
            if target not in missing:
                if not lib_missing:
                    continue  # resolved elsewhere at run time (e.g. a weak or a loader symbol)
                target = lib_missing[0]
            wanted[target].setdefault(name, version if files.get(version) == target else None)
    os.makedirs(stub_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for soname, syms in sorted(wanted.items()):
            c = os.path.join(tmp, "stub.c")
            with open(c, "w") as f:
                f.write(stub_source(syms) + f'const char benchbook_cuda_stub[] = "{soname}";\n')
            by_version = {}
            for name, version in syms.items():
                by_version.setdefault(version or soname, []).append(name)
            script = os.path.join(tmp, "stub.map")
            with open(script, "w") as f:
                # The marker that says "a stand-in" goes into the first version node only.
                marker = " benchbook_cuda_stub;"
                for version, names in sorted(by_version.items()):
                    f.write(f"{version} {{ global: {'; '.join(sorted(names))};{marker} }};\n")
                    marker = ""
            out = os.path.join(stub_dir, soname)
            cc = os.environ.get("CC", "cc")
            # A library NEEDED for no symbol at all gets no version script (an empty one is an error).
            versions = [f"-Wl,--version-script={script}"] if syms else []
            run([cc, "-shared", "-fPIC", "-O0", "-o", out, f"-Wl,-soname,{soname}", *versions, c])
            print(f"{out}: {len(syms)} symbols")


def is_stub(path):
    try:
        return "benchbook_cuda_stub" in run(["nm", "-D", path])
    except RuntimeError:
        return False


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: cuda_stubs.py SITE_PACKAGES")
    try:
        main(sys.argv[1])
    except (RuntimeError, OSError) as e:
        print(f"cuda_stubs: {e}", file=sys.stderr)
        sys.exit(1)
