#include "common/ids.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace spanvault {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

}  // namespace

absl::StatusOr<std::string> HexToBytes(std::string_view hex, std::string_view what) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " has an odd number of hex digits (", hex.size(), ")"));
  }
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(what), " is not hex: bad digit at position ",
                       hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string BytesToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

bool IsValidSpanId(std::string_view bytes) { return bytes.size() == 8 && !AllZero(bytes); }
bool IsValidTraceId(std::string_view bytes) { return bytes.size() == 16 && !AllZero(bytes); }

absl::StatusOr<TraceId> TraceId::FromBytes(std::string_view bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("trace id must be 16 bytes, got ", bytes.size()));
  }
  if (AllZero(bytes)) return absl::InvalidArgumentError("trace id is all zeros");
  TraceId id;
  std::copy(bytes.begin(), bytes.end(), id.bytes_.begin());
  return id;
}

absl::StatusOr<TraceId> TraceId::FromHex(std::string_view hex) {
  if (hex.size() != 2 * kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("trace id must be 32 hex digits, got ", hex.size()));
  }
  auto bytes = HexToBytes(hex, "trace id");
  if (!bytes.ok()) return bytes.status();
  return FromBytes(*bytes);
}

absl::StatusOr<TraceId> TraceId::FromJaegerHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 2 * kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("trace id must be 1 to 32 hex digits, got ", hex.size()));
  }
  std::string padded(2 * kSize - hex.size(), '0');
  padded.append(hex);
  return FromHex(padded);
}

std::string TraceId::ToHex() const { return BytesToHex(bytes()); }

std::string TraceId::ToJaegerHex() const {
  std::string hex = ToHex();
  if (AllZero(bytes().substr(0, 8))) return hex.substr(16);
  return hex;
}

bool TraceId::IsZero() const { return AllZero(bytes()); }

}  // namespace spanvault
