#pragma once

// Where the benchmark tools send: loopback addresses only, possibly read from spanvault's
// --ports-file. They are benchmark tools, not traffic cannons, so they refuse other machines.

#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ip/tcp.hpp"

namespace spanvault::bench {

// "host:port" -> the loopback IP and port ("127.0.0.1:4317", "[::1]:4317"), or
// kInvalidArgument for anything not on loopback (every address the name resolves to must be).
absl::StatusOr<std::string> LoopbackTarget(const std::string& target);

// "ip:port" or "[ipv6]:port" (what LoopbackTarget returns) as an endpoint to connect to.
absl::StatusOr<boost::asio::ip::tcp::endpoint> TcpEndpoint(const std::string& target);

// The address of listener `key` ("otlp_grpc", "query_http", ...) in spanvault's ports file; a
// wildcard host means this machine. kNotFound when the file cannot be read, kInvalidArgument
// when it has no such address.
absl::StatusOr<std::string> AddressFromPortsFile(const std::string& path, const std::string& key);

}  // namespace spanvault::bench
