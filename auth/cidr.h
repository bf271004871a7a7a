#pragma once

// IP address blocks in CIDR notation ("10.0.0.0/8", "2001:db8::/32", "127.0.0.1"), for the
// trusted-proxy allow-list. Written by hand because it is small and no packaged library does
// just this (inet_pton does the address parsing).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace spanvault {

// An IPv4 or IPv6 address as 16 bytes; IPv4 is held as its IPv4-mapped IPv6 form
// (::ffff:a.b.c.d), so "::ffff:10.0.0.1" and "10.0.0.1" are the same address.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool is_v4 = false;
};

// The address in `text`: a bare IPv4 or IPv6 address, optionally in brackets, with a port
// ("1.2.3.4:80", "[::1]:80"), a zone ("fe80::1%eth0") or gRPC's "ipv4:" / "ipv6:" prefix
// ("ipv6:%5B::1%5D:5000"). nullopt for anything else (e.g. "unix:/tmp/s").
std::optional<IpAddress> ParseRemoteAddress(std::string_view text);

// The address in `remote_address` as text without port, zone or prefix ("10.0.0.5", "::1"),
// the same for every spelling of one address; `remote_address` itself when it does not parse.
std::string HostOf(std::string_view remote_address);

// One block. Immutable.
class CidrBlock {
 public:
  // "addr/len" or a bare address (a /32 or /128). kInvalidArgument naming the text for a bad
  // address, a prefix length out of range, or host bits set ("10.0.0.1/8").
  static absl::StatusOr<CidrBlock> Parse(std::string_view text);
  bool Contains(const IpAddress& address) const;

 private:
  CidrBlock(IpAddress network, int prefix_bits) : network_(network), prefix_bits_(prefix_bits) {}
  IpAddress network_;
  int prefix_bits_;  // over the 16-byte form: IPv4 /n is n + 96
};

// A list of blocks. Immutable; thread-safe.
class CidrSet {
 public:
  CidrSet() = default;
  // kInvalidArgument naming the first bad entry.
  static absl::StatusOr<CidrSet> Parse(const std::vector<std::string>& blocks);
  // Whether the address in `remote_address` (see ParseRemoteAddress) is in any block; false
  // when it does not parse.
  bool Contains(std::string_view remote_address) const;
  bool empty() const { return blocks_.empty(); }

 private:
  std::vector<CidrBlock> blocks_;
};

}  // namespace spanvault
