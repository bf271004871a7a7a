#pragma once

// Trace and span identifiers: fixed-size byte strings with hex parsing and formatting.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault {

// A 16-byte W3C trace id. Value type; thread-compatible.
class TraceId {
 public:
  static constexpr size_t kSize = 16;

  TraceId() { bytes_.fill(0); }

  // Returns the id held in `bytes`, or kInvalidArgument unless it is exactly 16 bytes and not
  // all zero.
  static absl::StatusOr<TraceId> FromBytes(std::string_view bytes);

  // Parses exactly 32 hex digits (either case), as OTLP/JSON and Jaeger v3 write ids. Returns
  // kInvalidArgument naming the problem for any other length, a non-hex digit or all zeros.
  static absl::StatusOr<TraceId> FromHex(std::string_view hex);

  // Parses 1 to 32 hex digits, left-padded with zeros, as the Jaeger classic API accepts them
  // (a 16-digit id means the high half is zero).
  static absl::StatusOr<TraceId> FromJaegerHex(std::string_view hex);

  std::string_view bytes() const {
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()), kSize);
  }
  // 32 lowercase hex digits.
  std::string ToHex() const;
  // Jaeger's UI form: 16 digits when the high 64 bits are zero, else 32.
  std::string ToJaegerHex() const;
  bool IsZero() const;

  friend bool operator==(const TraceId& a, const TraceId& b) { return a.bytes_ == b.bytes_; }
  friend bool operator<(const TraceId& a, const TraceId& b) { return a.bytes_ < b.bytes_; }
  template <typename H>
  friend H AbslHashValue(H h, const TraceId& id) {
    return H::combine(std::move(h), id.bytes());
  }

 private:
  std::array<uint8_t, kSize> bytes_;
};

// Decodes an even number of hex digits into bytes. Returns kInvalidArgument on a bad digit or
// an odd length; `what` names the field in the message.
absl::StatusOr<std::string> HexToBytes(std::string_view hex, std::string_view what);

// Lowercase hex of arbitrary bytes.
std::string BytesToHex(std::string_view bytes);

// Validates an OTLP span id: exactly 8 bytes, not all zero.
bool IsValidSpanId(std::string_view bytes);
// Validates an OTLP trace id: exactly 16 bytes, not all zero.
bool IsValidTraceId(std::string_view bytes);

}  // namespace spanvault
