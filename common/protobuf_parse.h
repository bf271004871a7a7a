#pragma once

// Why a protobuf parse failed. Protobuf's parsers answer only true or false; the one cause
// they name (a `string` field that is not valid UTF-8) goes to their log, once per request.

#include <string>

#include "absl/functional/function_ref.h"

namespace spanvault {

// Installs the log handler that ProtobufParseProblem relies on. Protobuf's SetLogHandler is
// not thread-safe: call this at start-up before other threads run (ProtobufParseProblem calls
// it too, for tests and tools). Idempotent.
void InstallProtobufLogCapture();

// Runs `parse` (a Message::Parse* call on this thread) and returns "" when it returned true,
// else the problem: "string field '<full field name>' is not valid UTF-8" when protobuf said
// so, or the causes it does not tell apart (malformed wire format, messages nested deeper
// than protobuf's recursion limit of 100). Protobuf's log messages during `parse` are captured
// instead of printed, so hostile requests cannot flood the server's log. Thread-safe.
std::string ProtobufParseProblem(absl::FunctionRef<bool()> parse);

}  // namespace spanvault
