#pragma once

// For the TSan interposers (tsan_absl_sync.cc, tsan_rocksdb_write.cc): the definition of a
// symbol that comes after this binary's, that is Debian's library's.

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

// Debian's definition of `symbol`; aborts, naming it, when there is none.
inline void* NextSymbol(const char* symbol) {
  void* fn = dlsym(RTLD_NEXT, symbol);
  if (fn == nullptr) {
    std::fprintf(stderr, "TSan interposer: %s not found\n", symbol);
    std::abort();
  }
  return fn;
}
