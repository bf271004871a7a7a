#include "common/protobuf_parse.h"

#include <mutex>

#include "google/protobuf/stubs/logging.h"

namespace spanvault {
namespace {

// The capture of the parse running on this thread, or null.
thread_local std::string* capture = nullptr;
google::protobuf::LogHandler* previous_handler = nullptr;

void CapturingLogHandler(google::protobuf::LogLevel level, const char* filename, int line,
                         const std::string& message) {
  if (capture != nullptr) {
    if (capture->empty()) *capture = message;
    return;
  }
  if (previous_handler != nullptr) previous_handler(level, filename, line, message);
}

// Protobuf's UTF-8 message: "String field 'a.b.C.name' contains invalid UTF-8 data when
// parsing a protocol buffer. Use the 'bytes' type ...". Returns the quoted field name or "".
std::string Utf8FieldOf(const std::string& log) {
  constexpr std::string_view kPrefix = "String field '";
  if (log.find("invalid UTF-8") == std::string::npos) return "";
  const size_t start = log.find(kPrefix);
  if (start == std::string::npos) return "";
  const size_t from = start + kPrefix.size();
  const size_t end = log.find('\'', from);
  if (end == std::string::npos) return "";
  return log.substr(from, end - from);
}

}  // namespace

void InstallProtobufLogCapture() {
  static std::once_flag once;
  std::call_once(once,
                 [] { previous_handler = google::protobuf::SetLogHandler(&CapturingLogHandler); });
}

std::string ProtobufParseProblem(absl::FunctionRef<bool()> parse) {
  InstallProtobufLogCapture();
  std::string log;
  capture = &log;
  const bool ok = parse();
  capture = nullptr;
  if (ok) return "";
  const std::string field = Utf8FieldOf(log);
  if (!field.empty()) return "string field '" + field + "' is not valid UTF-8";
  return "malformed protobuf wire format, or messages nested deeper than 100 levels (e.g. "
         "AnyValue kvlist or array values)";
}

}  // namespace spanvault
