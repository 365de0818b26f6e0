// What libtorch says about its own build, through ATen's exported functions
// (declared here rather than included, so this file compiles in a second without the headers),
// and the floating-point mode TensorFlow runs its kernels in.
#include <cstdlib>
#include <cstring>
#include <string>
#include <xmmintrin.h>

namespace at {
std::string show_config();
std::string get_parallel_info();
std::string get_cpu_capability();
}  // namespace at

// 0: show_config, 1: parallel info, 2: cpu capability. NULL on failure; free with benchbook_torch_free.
extern "C" char* benchbook_torch_fact(int which) {
  try {
    std::string s;
    switch (which) {
      case 0: s = at::show_config(); break;
      case 1: s = at::get_parallel_info(); break;
      case 2: s = at::get_cpu_capability(); break;
      default: return nullptr;
    }
    return strdup(s.c_str());
  } catch (...) {
    return nullptr;
  }
}

extern "C" void benchbook_torch_free(char* p) { free(p); }

// Flush denormals to zero (FTZ) and treat denormal inputs as zero (DAZ), as TensorFlow does in
// every thread that runs its kernels (port::ScopedFlushDenormal). MXCSR is per thread: set it
// here and in each of the `threads` OpenMP workers that libtorch, MKL and oneDNN run on
// (libgomp keeps its team threads, so the setting stays with them).
// torch.set_flush_denormal(True) does the same for the calling thread only.
extern "C" void benchbook_torch_flush_denormal(int threads) {
  const unsigned int ftz_daz = 0x8040;
  _mm_setcsr(_mm_getcsr() | ftz_daz);
#pragma omp parallel num_threads(threads)
  { _mm_setcsr(_mm_getcsr() | ftz_daz); }
}

// 1 when FTZ and DAZ are on in this thread.
extern "C" int benchbook_torch_flushes_denormals(void) { return (_mm_getcsr() & 0x8040) == 0x8040; }
