// What libtorch says about its own build, through ATen's exported functions
// (declared here rather than included, so this file compiles in a second without the headers).
#include <cstdlib>
#include <cstring>
#include <string>

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
