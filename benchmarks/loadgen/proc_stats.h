#pragma once

// CPU time and memory of a process, from /proc (Linux).

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace spanvault::bench {

struct ProcSample {
  // User + system CPU time since the process started.
  double cpu_seconds = 0;
  // Resident set size (VmRSS).
  int64_t rss_bytes = 0;
  // CPU seconds by thread name (/proc/<pid>/task/*/comm, trailing digits removed, so a pool's
  // threads add up: "rocksdb:low0" and "rocksdb:low1" are "rocksdb:low").
  std::map<std::string, double> thread_cpu_seconds;
};

// Reads /proc/<pid>/stat and /proc/<pid>/status. kNotFound when the process is gone.
absl::StatusOr<ProcSample> ReadProcSample(int pid);

// The machine's 1-minute load average (/proc/loadavg), or -1 when unreadable: on a shared
// machine it says how much else was running.
double ReadLoadAverage();

}  // namespace spanvault::bench
