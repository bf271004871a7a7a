// The YAML configuration (every section, sampling policies and auth included), then its
// validation.

#include <cstddef>
#include <cstdint>
#include <string>

#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spanvault::ServerConfig config;
  std::string yaml(reinterpret_cast<const char*>(data), size);
  if (spanvault::ApplyYamlConfig(yaml, &config).ok()) static_cast<void>(config.Validate());
  return 0;
}
