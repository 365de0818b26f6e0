//! Compiles the small C++ shims (libtorch build facts and denormal mode in csrc/facts.cpp,
//! ATen's fused optimizers in csrc/fused.cpp) and links an rpath to `$LIBTORCH/lib` so the
//! runner (and its tests) start without `LD_LIBRARY_PATH`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=csrc/facts.cpp");
    println!("cargo:rerun-if-changed=csrc/fused.cpp");
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let libtorch = PathBuf::from(
        std::env::var("LIBTORCH")
            .expect("LIBTORCH must name the libtorch 2.13.0 directory (`benchbook setup` sets it)"),
    );
    cc::Build::new()
        .cpp(true)
        .file("csrc/facts.cpp")
        .flag("-std=c++17")
        .flag("-fopenmp")
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .compile("benchbook_torch_facts");
    cc::Build::new()
        .cpp(true)
        .file("csrc/fused.cpp")
        // -isystem: libtorch's headers are not ours to warn about.
        .flag("-isystem")
        .flag(libtorch.join("include").display().to_string())
        .flag("-isystem")
        .flag(
            libtorch
                .join("include/torch/csrc/api/include")
                .display()
                .to_string(),
        )
        .flag("-std=c++20")
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .compile("benchbook_torch_fused");
    println!(
        "cargo:rustc-link-arg=-Wl,-rpath,{}",
        libtorch.join("lib").display()
    );
}
