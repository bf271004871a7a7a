#pragma once

// Principal: who is asking. Every QueryService method takes one, so no query path can skip
// the access checks that arrive with authentication.

#include <string>
#include <vector>

namespace spanvault {

struct Principal {
  std::string subject;             // user or token name
  std::vector<std::string> roles;  // role names
  std::string remote_address;

  // The caller when authentication is off (--insecure-no-auth, or before it exists).
  static Principal Anonymous(std::string remote_address) {
    return Principal{"anonymous", {"admin"}, std::move(remote_address)};
  }
};

}  // namespace spanvault
