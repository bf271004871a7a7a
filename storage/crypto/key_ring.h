#pragma once

// KeyRing: the AES-256 keys spanvault encrypts its files with, by key id.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secret.h"

namespace spanvault {

// Immutable after Create(); thread-safe. The key bytes are wiped when the ring is destroyed.
// The newest key (the highest id) encrypts new files; every key can decrypt. Key bytes never
// appear in a status message or a log line.
class KeyRing {
 public:
  static constexpr size_t kKeyBytes = 32;

  struct Key {
    uint32_t id = 0;
    std::string bytes;  // kKeyBytes raw bytes
  };

  // `source` says where the keys came from ("key file /etc/spanvault/key"), for messages.
  // kInvalidArgument when there is no key, an id is 0 or repeated, or a key is not 32 bytes.
  static absl::StatusOr<std::shared_ptr<const KeyRing>> Create(std::vector<Key> keys,
                                                               std::string source);
  // A ring with one new random key (id 1) from the OpenSSL CSPRNG, for tests and tools.
  // kInternal when the CSPRNG fails.
  static absl::StatusOr<std::shared_ptr<const KeyRing>> Generate(std::string source);

  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // The id new files are encrypted with.
  uint32_t newest_id() const { return keys_.rbegin()->first; }
  // Every id, ascending.
  std::vector<uint32_t> ids() const;
  // The key bytes of `id`, or nullptr when the ring has no such key.
  const std::string* Find(uint32_t id) const;
  const std::string& source() const { return source_; }

 private:
  KeyRing(std::map<uint32_t, std::string> keys, std::string source);

  // Constant after construction (not const only so that the destructor can wipe it).
  std::map<uint32_t, std::string> keys_;
  const std::string source_;
};

}  // namespace spanvault
