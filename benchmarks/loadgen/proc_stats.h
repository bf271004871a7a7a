#pragma once

// CPU time and memory of a process, from /proc (Linux).

#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

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

// Samples a process's CPU at the start and end of a window and its memory throughout (every
// 200 ms), on a thread of its own. Construct, run the load, Stop(), then read the figures.
// Not thread-safe; owned by one thread (the sampling thread is internal).
class ProcessMonitor {
 public:
  // Starts sampling `pid` at `from`; pid <= 0 measures nothing.
  ProcessMonitor(int pid, absl::Time from);
  ~ProcessMonitor();
  ProcessMonitor(const ProcessMonitor&) = delete;
  ProcessMonitor& operator=(const ProcessMonitor&) = delete;

  // Takes the last sample and joins the thread; idempotent.
  void Stop();

  // After Stop(). False when the process was not sampled (pid <= 0, gone, or stopped before
  // the window started).
  bool measured() const { return pid_ > 0 && end_.cpu_seconds > 0; }
  double cpu_seconds() const { return end_.cpu_seconds - start_.cpu_seconds; }
  int64_t rss_peak_bytes() const { return peak_rss_; }
  int64_t rss_end_bytes() const { return end_.rss_bytes; }
  // CPU seconds in the window by thread name (see ProcSample); threads that used none are left
  // out.
  std::map<std::string, double> thread_cpu_seconds() const;

 private:
  void Loop();

  const int pid_;
  const absl::Time from_;
  absl::Notification stop_;
  std::thread thread_;
  // Written by the sampling thread only, read after it has joined.
  ProcSample start_;
  ProcSample end_;
  int64_t peak_rss_ = 0;
};

}  // namespace spanvault::bench
