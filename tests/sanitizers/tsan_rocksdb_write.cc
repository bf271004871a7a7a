// Tells ThreadSanitizer to ignore the memory accesses a thread makes inside RocksDB's
// DBImpl::Write in a TSan build (-DSPANVAULT_SANITIZE=thread); its locks and condition variables
// are still seen.
//
// Debian's RocksDB is not built with TSan. When threads write at once, RocksDB's WriteThread
// makes one of them the leader of a write group (the followers join with atomics TSan never
// sees), and the leader copies every follower's batch into the write-ahead log. Most of those
// copies are memcpy calls from librocksdb (tsan-server.supp), but appending a batch to the
// merged one goes through std::string, whose out-of-line code (_M_mutate) this instrumented
// binary defines and exports: the report then holds only spanvault frames, the leader's call to
// Write on one side and the follower's batch being built on the other, and no suppression can
// tell it from a race of spanvault's (CI's TSan run against the server, a sampler thread
// expiring decisions while the store's writer committed spans).
//
// The accesses ignored here are RocksDB's own, made on the caller's thread, plus those of
// spanvault's listener callbacks when RocksDB runs them inside a write (a memtable seal, a
// failed write-ahead log append); those callbacks run on RocksDB's background threads too, where
// TSan still checks them.
//
// The interposer is defined under DBImpl::Write's mangled name; the TSan build exports it
// (SPANVAULT_TSAN_INTERPOSED in the top-level CMakeLists.txt), so DBImpl's vtable in
// librocksdb binds here, DB::Put and DB::Delete's calls included. It goes on to Debian's
// definition (dlsym RTLD_NEXT), called through a pointer to member: the Itanium ABI represents
// one to a non-virtual function as {address, 0}.
#include <cstring>

#include "rocksdb/options.h"
#include "rocksdb/status.h"
#include "rocksdb/write_batch.h"
#include "tests/sanitizers/next_symbol.h"

extern "C" {
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
}

namespace rocksdb {

// RocksDB's class, declared here only to name the interposer; nothing else of it is used.
class DBImpl {
 public:
  Status Write(const WriteOptions& options, WriteBatch* batch);
};

namespace {

using WriteFn = Status (DBImpl::*)(const WriteOptions&, WriteBatch*);

WriteFn RealWrite() {
  struct {
    void* address;
    long adjustment;
  } itanium{NextSymbol("_ZN7rocksdb6DBImpl5WriteERKNS_12WriteOptionsEPNS_10WriteBatchE"), 0};
  static_assert(sizeof(itanium) == sizeof(WriteFn));
  WriteFn real;
  std::memcpy(&real, &itanium, sizeof(real));
  return real;
}

}  // namespace

Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  static const WriteFn real = RealWrite();
  AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
  AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  Status status = (this->*real)(options, batch);
  AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
  AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  return status;
}

}  // namespace rocksdb
