#pragma once

// RocksDB's info log, routed into spanvault's log instead of a LOG file.
//
// RocksDB writes its LOG beside the data but not through the encrypted Env, and at INFO it
// records options, file metadata and, for some compactions, user keys in hex. So no LOG file is
// written at all: warnings and errors go to spdlog ("rocksdb: ..."); INFO, DEBUG and the
// options header are dropped. It also means a failed open (for example with the wrong key)
// leaves no new file behind.

#include <memory>

#include "rocksdb/env.h"

namespace spanvault {

// A thread-safe rocksdb::Logger forwarding WARN and above to spdlog.
std::shared_ptr<rocksdb::Logger> NewSpdlogInfoLogger();

}  // namespace spanvault
