// Trace and span ids in hex, as paths and parameters carry them.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/ids.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto id = spanvault::TraceId::FromHex(text);
  // What parses prints back as 32 hex digits that parse to the same id.
  if (id.ok() && spanvault::TraceId::FromHex(id->ToHex()).value() != *id) std::abort();
  static_cast<void>(spanvault::HexToBytes(text, "span id"));
  return 0;
}
