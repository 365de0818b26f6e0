//! Compiles the small C++ shim that asks libtorch about its build, and links an rpath to
//! `$LIBTORCH/lib` so the runner (and its tests) start without `LD_LIBRARY_PATH`.

fn main() {
    println!("cargo:rerun-if-changed=csrc/facts.cpp");
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    cc::Build::new()
        .cpp(true)
        .file("csrc/facts.cpp")
        .flag("-std=c++17")
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .compile("benchbook_torch_facts");
    if let Ok(libtorch) = std::env::var("LIBTORCH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{libtorch}/lib");
    }
}
