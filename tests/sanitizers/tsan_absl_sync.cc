// Tells ThreadSanitizer about absl::Mutex, absl::CondVar and absl::Notification in a TSan build
// (-DSPANVAULT_SANITIZE=thread), for every caller in the process: spanvault and Debian's gRPC.
//
// Debian's Abseil is not built with -fsanitize=thread, so its Mutex takes and releases the lock
// with atomics and futexes TSan never sees: every member guarded by an absl::Mutex would be
// reported as a race, and so would every hand-off inside gRPC, which locks absl::Mutex too
// (grpc_core::Mutex, gpr_mu). An Abseil built with TSan annotates each operation with the
// __tsan_mutex_* interface; this file does the same from outside, by interposition: the TSan
// build links these definitions into every binary and exports them
// (-Wl,--export-dynamic-symbol, SPANVAULT_TSAN_INTERPOSED in the top-level CMakeLists.txt), so
// the dynamic linker binds every call, the shared libraries' included, here; each annotates the
// way Abseil's own mutex.cc does and goes on to Debian's implementation (dlsym RTLD_NEXT).
// Debian's libabsl_synchronization calls its own Lock/Unlock/LockWhen through the PLT, so its
// Notification and CondVar are seen the same way.
//
// The symbols are mangled for Abseil 20220623 as Debian builds it (inline namespace debian3,
// checked below). The Mutex, CondVar and Condition are passed as opaque pointers: the Itanium ABI
// passes `this` as the first argument.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include "absl/base/options.h"
#include "absl/time/time.h"
#include "tests/sanitizers/next_symbol.h"

#define SPANVAULT_STR2(x) #x
#define SPANVAULT_STR(x) SPANVAULT_STR2(x)
static_assert(__builtin_strcmp(SPANVAULT_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME), "debian3") == 0,
              "the interposed symbol names below assume Abseil's inline namespace debian3");

using absl::Duration;
using absl::Time;

namespace {

// Debian's definition of `symbol`, the next one after this binary's.
template <typename Fn>
Fn Real(const char* symbol) {
  return reinterpret_cast<Fn>(NextSymbol(symbol));
}

// Between pre and post TSan ignores the thread's memory accesses, as in Abseil's own
// annotations: Debian's Mutex may evaluate another waiter's Condition while unlocking.
template <typename F>
auto Locking(void* mu, unsigned flags, F lock) {
  __tsan_mutex_pre_lock(mu, flags);
  auto result = lock();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

void Unlocking(void* mu, unsigned flags, void (*unlock)(void*)) {
  __tsan_mutex_pre_unlock(mu, flags);
  unlock(mu);
  __tsan_mutex_post_unlock(mu, flags);
}

// Await, AwaitWith*, CondVar::Wait*: the lock is released while waiting and held again on
// return, whatever they return.
template <typename F>
auto Reacquiring(void* mu, F wait) {
  __tsan_mutex_pre_unlock(mu, 0);
  __tsan_mutex_post_unlock(mu, 0);
  return Locking(mu, 0, wait);
}

// Whether `pc` is in this binary rather than in a shared library. A Mutex destroyed by Debian's
// gRPC went away after a hand-off TSan cannot see (a reference count in gRPC's uninstrumented
// code); annotating that destruction would report a race with the last use.
bool InThisBinary(const void* pc) {
  static const void* const base = [] {
    Dl_info self{};
    dladdr(reinterpret_cast<const void*>(&InThisBinary), &self);
    return self.dli_fbase;
  }();
  Dl_info caller{};
  return dladdr(pc, &caller) != 0 && caller.dli_fbase == base;
}

template <typename F>
bool TryLocking(void* mu, unsigned flags, F try_lock) {
  __tsan_mutex_pre_lock(mu, flags | __tsan_mutex_try_lock);
  bool locked = try_lock();
  __tsan_mutex_post_lock(
      mu, flags | __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

}  // namespace

// Debian's functions call each other through the PLT too (AwaitWithTimeout calls
// AwaitWithDeadline, Notification calls LockWhen and Unlock): only the outermost call of a
// thread is annotated.
thread_local int nesting = 0;

struct Nested {
  Nested() { ++nesting; }
  ~Nested() { --nesting; }
  Nested(const Nested&) = delete;
  Nested& operator=(const Nested&) = delete;
};

// `static const auto real`: Debian's function of the enclosing symbol's name; when called from
// inside another of them, it is called with its arguments and nothing annotated.
#define SPANVAULT_REAL(type, symbol, ...)       \
  static const auto real = Real<type>(#symbol); \
  if (nesting > 0) return real(__VA_ARGS__);    \
  Nested nested

extern "C" {

// Mutex::Lock(), ReaderLock()
void _ZN4absl7debian35Mutex4LockEv(void* mu) {
  SPANVAULT_REAL(void (*)(void*), _ZN4absl7debian35Mutex4LockEv, mu);
  Locking(mu, 0, [&] { return (real(mu), 0); });
}
void _ZN4absl7debian35Mutex10ReaderLockEv(void* mu) {
  SPANVAULT_REAL(void (*)(void*), _ZN4absl7debian35Mutex10ReaderLockEv, mu);
  Locking(mu, __tsan_mutex_read_lock, [&] { return (real(mu), 0); });
}

// Mutex::Unlock(), ReaderUnlock()
void _ZN4absl7debian35Mutex6UnlockEv(void* mu) {
  SPANVAULT_REAL(void (*)(void*), _ZN4absl7debian35Mutex6UnlockEv, mu);
  Unlocking(mu, 0, real);
}
void _ZN4absl7debian35Mutex12ReaderUnlockEv(void* mu) {
  SPANVAULT_REAL(void (*)(void*), _ZN4absl7debian35Mutex12ReaderUnlockEv, mu);
  Unlocking(mu, __tsan_mutex_read_lock, real);
}

// Mutex::TryLock(), ReaderTryLock()
bool _ZN4absl7debian35Mutex7TryLockEv(void* mu) {
  SPANVAULT_REAL(bool (*)(void*), _ZN4absl7debian35Mutex7TryLockEv, mu);
  return TryLocking(mu, 0, [&] { return real(mu); });
}
bool _ZN4absl7debian35Mutex13ReaderTryLockEv(void* mu) {
  SPANVAULT_REAL(bool (*)(void*), _ZN4absl7debian35Mutex13ReaderTryLockEv, mu);
  return TryLocking(mu, __tsan_mutex_read_lock, [&] { return real(mu); });
}

// Mutex::~Mutex() (complete and base object destructors: one function in Debian's library);
// annotated when spanvault destroys the Mutex (see InThisBinary).
void _ZN4absl7debian35MutexD1Ev(void* mu) {
  SPANVAULT_REAL(void (*)(void*), _ZN4absl7debian35MutexD1Ev, mu);
  if (InThisBinary(__builtin_return_address(0))) __tsan_mutex_destroy(mu, 0);
  real(mu);
}
void _ZN4absl7debian35MutexD2Ev(void* mu) {
  SPANVAULT_REAL(void (*)(void*), _ZN4absl7debian35MutexD2Ev, mu);
  if (InThisBinary(__builtin_return_address(0))) __tsan_mutex_destroy(mu, 0);
  real(mu);
}

// Mutex::LockWhen(const Condition&) and its timed forms, which hold the lock on return whatever
// they return; the reader forms likewise.
void _ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE(void* mu, const void* cond) {
  SPANVAULT_REAL(void (*)(void*, const void*), _ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE,
                 mu, cond);
  Locking(mu, 0, [&] { return (real(mu, cond), 0); });
}
bool _ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(void* mu,
                                                                                 const void* cond,
                                                                                 Duration timeout) {
  SPANVAULT_REAL(bool (*)(void*, const void*, Duration),
                 _ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE, mu,
                 cond, timeout);
  return Locking(mu, 0, [&] { return real(mu, cond, timeout); });
}
bool _ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(void* mu,
                                                                              const void* cond,
                                                                              Time deadline) {
  SPANVAULT_REAL(bool (*)(void*, const void*, Time),
                 _ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE, mu, cond,
                 deadline);
  return Locking(mu, 0, [&] { return real(mu, cond, deadline); });
}
void _ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE(void* mu, const void* cond) {
  SPANVAULT_REAL(void (*)(void*, const void*),
                 _ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE, mu, cond);
  Locking(mu, __tsan_mutex_read_lock, [&] { return (real(mu, cond), 0); });
}
bool _ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    void* mu, const void* cond, Duration timeout) {
  SPANVAULT_REAL(bool (*)(void*, const void*, Duration),
                 _ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE,
                 mu, cond, timeout);
  return Locking(mu, __tsan_mutex_read_lock, [&] { return real(mu, cond, timeout); });
}
bool _ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    void* mu, const void* cond, Time deadline) {
  SPANVAULT_REAL(bool (*)(void*, const void*, Time),
                 _ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE, mu,
                 cond, deadline);
  return Locking(mu, __tsan_mutex_read_lock, [&] { return real(mu, cond, deadline); });
}

// Mutex::Await(const Condition&) and its timed forms
void _ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(void* mu, const void* cond) {
  SPANVAULT_REAL(void (*)(void*, const void*), _ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE, mu,
                 cond);
  Reacquiring(mu, [&] { return (real(mu, cond), 0); });
}
bool _ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(void* mu,
                                                                              const void* cond,
                                                                              Duration timeout) {
  SPANVAULT_REAL(bool (*)(void*, const void*, Duration),
                 _ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE, mu, cond,
                 timeout);
  return Reacquiring(mu, [&] { return real(mu, cond, timeout); });
}
bool _ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE(void* mu,
                                                                           const void* cond,
                                                                           Time deadline) {
  SPANVAULT_REAL(bool (*)(void*, const void*, Time),
                 _ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE, mu, cond,
                 deadline);
  return Reacquiring(mu, [&] { return real(mu, cond, deadline); });
}

// CondVar::Wait(Mutex*) and its timed forms
void _ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(void* cv, void* mu) {
  SPANVAULT_REAL(void (*)(void*, void*), _ZN4absl7debian37CondVar4WaitEPNS0_5MutexE, cv, mu);
  Reacquiring(mu, [&] { return (real(cv, mu), 0); });
}
bool _ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(void* cv, void* mu,
                                                                          Duration timeout) {
  SPANVAULT_REAL(bool (*)(void*, void*, Duration),
                 _ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE, cv, mu,
                 timeout);
  return Reacquiring(mu, [&] { return real(cv, mu, timeout); });
}
bool _ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(void* cv, void* mu,
                                                                       Time deadline) {
  SPANVAULT_REAL(bool (*)(void*, void*, Time),
                 _ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE, cv, mu,
                 deadline);
  return Reacquiring(mu, [&] { return real(cv, mu, deadline); });
}

// Notification: its waits may return on an atomic flag without locking (Notify stores it in
// Debian's code), so everything before Notify() happens before a wait that sees it.
void _ZN4absl7debian312Notification6NotifyEv(void* n) {
  SPANVAULT_REAL(void (*)(void*), _ZN4absl7debian312Notification6NotifyEv, n);
  __tsan_release(n);
  real(n);
}
void _ZNK4absl7debian312Notification19WaitForNotificationEv(const void* n) {
  SPANVAULT_REAL(void (*)(const void*), _ZNK4absl7debian312Notification19WaitForNotificationEv, n);
  real(n);
  __tsan_acquire(const_cast<void*>(n));
}
bool _ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const void* n, Duration timeout) {
  SPANVAULT_REAL(bool (*)(const void*, Duration),
                 _ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE, n,
                 timeout);
  bool notified = real(n, timeout);
  if (notified) __tsan_acquire(const_cast<void*>(n));
  return notified;
}
bool _ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE(const void* n,
                                                                                 Time deadline) {
  SPANVAULT_REAL(bool (*)(const void*, Time),
                 _ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE, n,
                 deadline);
  bool notified = real(n, deadline);
  if (notified) __tsan_acquire(const_cast<void*>(n));
  return notified;
}

}  // extern "C"
