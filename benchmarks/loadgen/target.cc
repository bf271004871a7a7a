// Loopback targets and spanvault's ports file (target.h).

#include "benchmarks/loadgen/target.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "nlohmann/json.hpp"

namespace spanvault::bench {
namespace {

// "host:port" or "[v6]:port" into the host (brackets off) and a port in 1..65535.
absl::Status SplitTarget(const std::string& target, std::string* host, int* port) {
  size_t colon = target.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(target.substr(colon + 1), port) ||
      *port <= 0 || *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("target \"", target, "\" is not host:port"));
  }
  *host = target.substr(0, colon);
  if (host->size() > 2 && host->front() == '[') *host = host->substr(1, host->size() - 2);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> LoopbackTarget(const std::string& target) {
  std::string host;
  int port = 0;
  absl::Status split = SplitTarget(target, &host, &port);
  if (!split.ok()) return split;
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve \"", host, "\""));
  }
  for (const auto& entry : results) {
    if (!entry.endpoint().address().is_loopback()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing non-loopback target ", target, " (", entry.endpoint().address().to_string(),
          "): the benchmark tools only load this machine"));
    }
  }
  auto address = results.begin()->endpoint().address();
  return address.is_v6() ? absl::StrCat("[", address.to_string(), "]:", port)
                         : absl::StrCat(address.to_string(), ":", port);
}

absl::StatusOr<boost::asio::ip::tcp::endpoint> TcpEndpoint(const std::string& target) {
  std::string host;
  int port = 0;
  absl::Status split = SplitTarget(target, &host, &port);
  if (!split.ok()) return split;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("\"", host, "\" is not an IP address"));
  return boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

absl::StatusOr<std::string> AddressFromPortsFile(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  nlohmann::json ports = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!ports.is_object() || !ports.contains(key) || !ports[key].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " has no \"", key, "\" address"));
  }
  std::string address = ports[key].get<std::string>();
  std::string host = address.substr(0, address.rfind(':'));
  if (host == "0.0.0.0" || host == "::" || host == "[::]" || host.empty()) {
    address = absl::StrCat("127.0.0.1", address.substr(address.rfind(':')));
  }
  return address;
}

}  // namespace spanvault::bench
