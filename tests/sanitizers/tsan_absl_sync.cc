// Tells ThreadSanitizer about absl::Mutex and absl::Notification in a TSan build
// (-DSPANVAULT_SANITIZE=thread).
//
// Debian's Abseil is not built with -fsanitize=thread, so its Mutex takes and releases the lock
// with atomics and futexes TSan never sees: every member guarded by an absl::Mutex would be
// reported as a race. An Abseil built with TSan annotates each operation with the
// __tsan_mutex_* interface; this file does the same from outside. The TSan build links every
// binary with -Wl,--wrap=SYMBOL for the functions below (SPANVAULT_TSAN_WRAPPED in the
// top-level CMakeLists.txt), so spanvault's calls land here, are annotated the way Abseil's own
// mutex.cc annotates them, and go on to Debian's implementation (__real_...). Calls made
// inside Debian's libraries (gRPC, Abseil itself) are not wrapped; TSan sees none of their
// memory accesses either.
//
// The symbols are mangled for Abseil 20220623 as Debian builds it (inline namespace debian3,
// checked below); the wrapped set is what spanvault calls (nm -u over its objects).
#include <sanitizer/tsan_interface.h>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#define SPANVAULT_STR2(x) #x
#define SPANVAULT_STR(x) SPANVAULT_STR2(x)
static_assert(__builtin_strcmp(SPANVAULT_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME), "debian3") == 0,
              "the wrapped symbol names below assume Abseil's inline namespace debian3");

using absl::Condition;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

// Between pre and post TSan ignores the thread's memory accesses, as in Abseil's own
// annotations: Debian's Mutex may evaluate another waiter's Condition while unlocking.
namespace {

// Await and AwaitWithTimeout release the lock while they wait and hold it again on return,
// whatever they return.
template <typename F>
auto Reacquiring(Mutex* mu, F wait) {
  __tsan_mutex_pre_unlock(mu, 0);
  __tsan_mutex_post_unlock(mu, 0);
  __tsan_mutex_pre_lock(mu, 0);
  auto result = wait();
  __tsan_mutex_post_lock(mu, 0, 0);
  return result;
}

}  // namespace

extern "C" {

void __real__ZN4absl7debian35Mutex4LockEv(Mutex* mu);
void __real__ZN4absl7debian35Mutex6UnlockEv(Mutex* mu);
void __real__ZN4absl7debian35MutexD1Ev(Mutex* mu);
void __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(Mutex* mu, const Condition& cond);
bool __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex* mu, const Condition& cond, Duration timeout);
void __real__ZN4absl7debian312Notification6NotifyEv(Notification* n);
void __real__ZNK4absl7debian312Notification19WaitForNotificationEv(const Notification* n);
bool __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const Notification* n, Duration timeout);
bool __real__ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE(
    const Notification* n, Time deadline);

// Mutex::Lock()
void __wrap__ZN4absl7debian35Mutex4LockEv(Mutex* mu) {
  __tsan_mutex_pre_lock(mu, 0);
  __real__ZN4absl7debian35Mutex4LockEv(mu);
  __tsan_mutex_post_lock(mu, 0, 0);
}

// Mutex::Unlock()
void __wrap__ZN4absl7debian35Mutex6UnlockEv(Mutex* mu) {
  __tsan_mutex_pre_unlock(mu, 0);
  __real__ZN4absl7debian35Mutex6UnlockEv(mu);
  __tsan_mutex_post_unlock(mu, 0);
}

// Mutex::~Mutex() (the inline constructor already calls __tsan_mutex_create under TSan)
void __wrap__ZN4absl7debian35MutexD1Ev(Mutex* mu) {
  __tsan_mutex_destroy(mu, 0);
  __real__ZN4absl7debian35MutexD1Ev(mu);
}

// Mutex::Await(const Condition&)
void __wrap__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(Mutex* mu, const Condition& cond) {
  Reacquiring(mu, [&] {
    __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(mu, cond);
    return true;
  });
}

// Mutex::AwaitWithTimeout(const Condition&, Duration)
bool __wrap__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex* mu, const Condition& cond, Duration timeout) {
  return Reacquiring(mu, [&] {
    return __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(mu, cond,
                                                                                           timeout);
  });
}

// Notification::Notify(): everything before it happens before a wait that sees it.
void __wrap__ZN4absl7debian312Notification6NotifyEv(Notification* n) {
  __tsan_release(n);
  __real__ZN4absl7debian312Notification6NotifyEv(n);
}

// Notification::WaitForNotification() const
void __wrap__ZNK4absl7debian312Notification19WaitForNotificationEv(const Notification* n) {
  __real__ZNK4absl7debian312Notification19WaitForNotificationEv(n);
  __tsan_acquire(const_cast<Notification*>(n));
}

// Notification::WaitForNotificationWithTimeout(Duration) const
bool __wrap__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const Notification* n, Duration timeout) {
  bool notified =
      __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
          n, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(n));
  return notified;
}

// Notification::WaitForNotificationWithDeadline(Time) const
bool __wrap__ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE(
    const Notification* n, Time deadline) {
  bool notified =
      __real__ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE(n,
                                                                                         deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(n));
  return notified;
}

}  // extern "C"
