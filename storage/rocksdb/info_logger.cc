#include "storage/rocksdb/info_logger.h"

#include <cstdarg>
#include <cstdio>

#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

class SpdlogInfoLogger final : public rocksdb::Logger {
 public:
  SpdlogInfoLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  // Calls without a level are INFO.
  void Logv(const char*, va_list) override {}
  // The options dump at open.
  void LogHeader(const char*, va_list) override {}

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level >= rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    char message[1024];
    int n = std::vsnprintf(message, sizeof(message), format, ap);
    if (n < 0) return;
    spdlog::level::level_enum target =
        level == rocksdb::InfoLogLevel::WARN_LEVEL ? spdlog::level::warn : spdlog::level::err;
    spdlog::log(target, "rocksdb: {}", message);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewSpdlogInfoLogger() {
  return std::make_shared<SpdlogInfoLogger>();
}

}  // namespace spanvault
