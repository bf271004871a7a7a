#include "auth/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace spanvault {
namespace {

// A bare address, without brackets, port or zone.
std::optional<IpAddress> ParseBareAddress(std::string_view text) {
  std::string buffer(text);
  IpAddress address;
  in_addr v4;
  if (inet_pton(AF_INET, buffer.c_str(), &v4) == 1) {
    address.bytes[10] = address.bytes[11] = 0xff;
    std::memcpy(&address.bytes[12], &v4, 4);
    address.is_v4 = true;
    return address;
  }
  if (inet_pton(AF_INET6, buffer.c_str(), address.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  address.is_v4 = std::memcmp(address.bytes.data(), kMappedPrefix, 12) == 0;
  return address;
}

// Removes "ipv4:"/"ipv6:", URI escapes of brackets, a port and a zone.
std::string_view StripDecorations(std::string_view text, std::string& storage) {
  for (std::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (text.substr(0, scheme.size()) == scheme) text.remove_prefix(scheme.size());
  }
  if (text.substr(0, 3) == "%5B" || text.substr(0, 3) == "%5b") {
    storage = "[" + std::string(text.substr(3));
    for (std::string_view close : {"%5D", "%5d"}) {
      size_t pos = storage.find(close);
      if (pos != std::string::npos) storage.replace(pos, close.size(), "]");
    }
    text = storage;
  }
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return {};
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    text = text.substr(0, text.find(':'));  // IPv4 with a port
  }
  return text.substr(0, text.find('%'));
}

bool HostBitsSet(const IpAddress& address, int prefix_bits) {
  for (int bit = prefix_bits; bit < 128; ++bit) {
    if (address.bytes[bit / 8] & (0x80 >> (bit % 8))) return true;
  }
  return false;
}

}  // namespace

std::optional<IpAddress> ParseRemoteAddress(std::string_view text) {
  std::string storage;
  std::string_view bare = StripDecorations(text, storage);
  if (bare.empty()) return std::nullopt;
  return ParseBareAddress(bare);
}

std::string HostOf(std::string_view remote_address) {
  std::optional<IpAddress> address = ParseRemoteAddress(remote_address);
  if (!address.has_value()) return std::string(remote_address);
  char text[INET6_ADDRSTRLEN] = {};
  const bool ok = address->is_v4
                      ? inet_ntop(AF_INET, address->bytes.data() + 12, text, sizeof text) != nullptr
                      : inet_ntop(AF_INET6, address->bytes.data(), text, sizeof text) != nullptr;
  return ok ? std::string(text) : std::string(remote_address);
}

absl::StatusOr<CidrBlock> CidrBlock::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  std::optional<IpAddress> address = ParseBareAddress(text.substr(0, slash));
  if (!address.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text), "\": not an IP address block"));
  }
  const int max_bits = address->is_v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (len.empty() || ec != std::errc() || end != len.data() + len.size() || bits < 0 ||
        bits > max_bits) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", std::string(text), "\": prefix length must be 0 to ", max_bits));
    }
  }
  const int prefix_bits = bits + (address->is_v4 ? 96 : 0);
  if (HostBitsSet(*address, prefix_bits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text), "\": host bits are set"));
  }
  return CidrBlock(*address, prefix_bits);
}

bool CidrBlock::Contains(const IpAddress& address) const {
  for (int bit = 0; bit < prefix_bits_; ++bit) {
    const uint8_t mask = 0x80 >> (bit % 8);
    if ((address.bytes[bit / 8] & mask) != (network_.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

absl::StatusOr<CidrSet> CidrSet::Parse(const std::vector<std::string>& blocks) {
  CidrSet set;
  for (const std::string& text : blocks) {
    absl::StatusOr<CidrBlock> block = CidrBlock::Parse(text);
    if (!block.ok()) return block.status();
    set.blocks_.push_back(*block);
  }
  return set;
}

bool CidrSet::Contains(std::string_view remote_address) const {
  std::optional<IpAddress> address = ParseRemoteAddress(remote_address);
  if (!address.has_value()) return false;
  for (const CidrBlock& block : blocks_) {
    if (block.Contains(*address)) return true;
  }
  return false;
}

}  // namespace spanvault
