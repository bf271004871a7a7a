// gzip bodies with the receivers' output limit (a bomb must stop at the limit).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collector/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kLimit = 1 << 20;
  auto out = spanvault::Gunzip(std::string_view(reinterpret_cast<const char*>(data), size), kLimit);
  if (out.ok() && out->size() > kLimit) std::abort();
  return 0;
}
