# Sanitizer settings for the sanitized test runs; scripts/test sources it, and so can a
# developer before running a sanitized build's tests by hand:
#   source tests/sanitizers/options.sh
#   (cd build/ci-clang && ctest -L unit)                     # ASan + UBSan + LSan
#   build/ci-tsan/tests/unit/storage_test                    # TSan
sanitizers_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ASan stops at the first error (always); LeakSanitizer runs at exit, with the suppressions
# of lsan.supp (leaks inside Debian's uninstrumented libraries, each entry says why).
export ASAN_OPTIONS=check_initialization_order=1:strict_init_order=1:detect_leaks=1
export LSAN_OPTIONS=suppressions=$sanitizers_dir/lsan.supp:print_suppressions=0
# The build has -fno-sanitize-recover=undefined already; this keeps a UBSan report fatal for
# any binary built without it, and prints where.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Every report is printed, then the binary exits with 66; tsan.supp holds suppressions for
# Debian's uninstrumented libraries only.
# The end-to-end run against the TSan server adds tsan-server.supp (scripts/test).
export SPANVAULT_TSAN_FLAGS=second_deadlock_stack=1:print_suppressions=0
export TSAN_OPTIONS=suppressions=$sanitizers_dir/tsan.supp:$SPANVAULT_TSAN_FLAGS

# The end-to-end tests run against the ASan + UBSan binary (ctest -R): ingest over every
# protocol, bad and hostile input, the sampler under crashes and limits, the store's
# durability.
export SPANVAULT_ASAN_E2E='^e2e\.(ingest_roundtrip|bad_input|hostile_payloads|sampling_crash|sampling_limits|sampling_policies|durability|search|query_grpc|remote_storage)$'
# The unit-test binaries built and run under TSan: the OTLP receivers, the tail sampler, the
# stores, auth (the audit log's group commit) and the HTTP server (its handler threads).
export SPANVAULT_TSAN_TESTS='collector_test tail_sampler_test storage_test auth_test server_test'
# The end-to-end tests run against the TSan server and CLI (ctest -R): both OTLP receivers and
# both query APIs under load, the sampler under crashes and limits, the store's durability,
# hostile clients. (hostile_payloads asserts RSS bounds that TSan's shadow memory exceeds.)
export SPANVAULT_TSAN_E2E='^e2e\.(ingest_roundtrip|bad_input|sampling_crash|sampling_limits|sampling_policies|durability|search|query_grpc|remote_storage|hostile_clients|auth)$'
