// One suite, run against every TraceStore: the in-memory reference store and the RocksDB store
// (plaintext and encrypted).

#include <memory>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config.h"
#include "storage/crypto/key_ring.h"
#include "storage/trace_store.h"
#include "tests/testing/span_builder.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

using ::spanvault::testing::ConsumeAndWait;
using ::spanvault::testing::IsOkAndHolds;
using ::spanvault::testing::MakeBatch;
using ::spanvault::testing::SpanHex;
using ::spanvault::testing::StatusIs;
using ::spanvault::testing::TestSpan;
using ::spanvault::testing::TraceHex;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr uint64_t kT0 = 1'700'000'000'000'000'000;
constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSec = 1'000'000'000;

class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  virtual std::unique_ptr<TraceStore> Open() = 0;
  virtual bool persistent() const = 0;
};

TraceStoreOptions Options(const std::string& path) {
  TraceStoreOptions options;
  options.path = path;
  options.indexed_attributes = DefaultIndexedAttributes();
  return options;
}

class MemoryFactory : public StoreFactory {
 public:
  std::unique_ptr<TraceStore> Open() override { return NewMemoryTraceStore(Options("")); }
  bool persistent() const override { return false; }
};

// The RocksDB store in plaintext (--testing-no-encryption).
class RocksDbFactory : public StoreFactory {
 public:
  std::unique_ptr<TraceStore> Open() override {
    TraceStoreOptions options = Options(dir_.path() + "/db");
    options.testing_no_encryption = true;
    auto store = OpenRocksDbTraceStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  bool persistent() const override { return true; }

 private:
  testing::TempDir dir_;
};

// The RocksDB store as it runs: every file encrypted. One key ring for every reopen.
class EncryptedRocksDbFactory : public StoreFactory {
 public:
  std::unique_ptr<TraceStore> Open() override {
    TraceStoreOptions options = Options(dir_.path() + "/db");
    options.encryption_keys = keys_;
    auto store = OpenRocksDbTraceStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  bool persistent() const override { return true; }

 private:
  testing::TempDir dir_;
  const std::shared_ptr<const KeyRing> keys_ = KeyRing::Generate("test key").value();
};

template <typename Factory>
class TraceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = factory_.Open();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    if (store_) store_->Shutdown();
  }
  void Ingest(const std::vector<TestSpan>& spans) {
    SV_ASSERT_OK(ConsumeAndWait(*store_, MakeBatch(spans)));
  }
  // Closes and reopens a persistent store (no-op for memory).
  void Reopen() {
    if (!factory_.persistent()) return;
    store_->Shutdown();
    store_.reset();
    store_ = factory_.Open();
    ASSERT_NE(store_, nullptr);
  }
  void IngestPending(const std::vector<TestSpan>& spans, std::vector<PendingTrace> states) {
    absl::Notification done;
    absl::Status result;
    store_->ConsumePending(MakeBatch(spans), std::move(states),
                           [&](absl::Status s, std::vector<DuplicateSpans>) {
                             result = s;
                             done.Notify();
                           });
    done.WaitForNotification();
    SV_ASSERT_OK(result);
  }
  void Decide(std::vector<SamplingDecision> decisions) {
    absl::Notification done;
    absl::Status result;
    store_->Decide(std::move(decisions), [&](absl::Status s) {
      result = s;
      done.Notify();
    });
    done.WaitForNotification();
    SV_ASSERT_OK(result);
  }
  std::vector<std::string> Find(TraceQuery query) {
    auto ids = store_->FindTraceIds(query);
    EXPECT_TRUE(ids.ok()) << ids.status();
    std::vector<std::string> out;
    if (ids.ok()) {
      for (const auto& id : *ids) out.push_back(id.ToHex());
    }
    return out;
  }
  TraceQuery Window() {
    TraceQuery q;
    q.start_time_min_unix_nano = kT0 - 3600 * kSec;
    q.start_time_max_unix_nano = kT0 + 3600 * kSec;
    return q;
  }

  // An order pipeline: trace 1 (shop -> crm, order A-1), trace 2 (shop, order A-2, slow, error),
  // trace 3 (mes consumer, order A-1, 1 s later).
  void IngestPipeline() {
    TestSpan root{.service = "shop-api",
                  .trace_id = TraceHex(1),
                  .span_id = SpanHex(1),
                  .name = "POST /orders",
                  .kind = 2,
                  .start_unix_nano = kT0,
                  .duration_nanos = 50 * kMs,
                  .attributes = {{"order_id", "A-1"}, {"http.request.method", "POST"}},
                  .resource_attributes = {{"deployment.environment", "prod"}}};
    TestSpan child{.service = "crm-api",
                   .trace_id = TraceHex(1),
                   .span_id = SpanHex(2),
                   .parent_span_id = SpanHex(1),
                   .name = "orders publish",
                   .kind = 4,
                   .start_unix_nano = kT0 + 10 * kMs,
                   .duration_nanos = 5 * kMs,
                   .attributes = {{"messaging.system", "rabbitmq"}, {"note", "x y"}}};
    TestSpan slow{.service = "shop-api",
                  .trace_id = TraceHex(2),
                  .span_id = SpanHex(3),
                  .name = "POST /orders",
                  .kind = 2,
                  .start_unix_nano = kT0 + 100 * kMs,
                  .duration_nanos = 2 * kSec,
                  .attributes = {{"order_id", "A-2"}},
                  .error = true};
    TestSpan consumer{.service = "mes-api",
                      .trace_id = TraceHex(3),
                      .span_id = SpanHex(4),
                      .name = "orders process",
                      .kind = 5,
                      .start_unix_nano = kT0 + kSec,
                      .duration_nanos = 300 * kMs,
                      .attributes = {{"order_id", "A-1"}}};
    Ingest({root, child});
    Ingest({slow});
    Ingest({consumer});
  }

  Factory factory_;
  std::unique_ptr<TraceStore> store_;
};

using Factories = ::testing::Types<MemoryFactory, RocksDbFactory, EncryptedRocksDbFactory>;
TYPED_TEST_SUITE(TraceStoreTest, Factories);

TYPED_TEST(TraceStoreTest, ReadsBackWholeTraceGroupedByResource) {
  this->IngestPipeline();
  this->Reopen();
  auto trace = this->store_->GetTrace(*TraceId::FromHex(TraceHex(1)));
  SV_ASSERT_OK(trace);
  ASSERT_EQ(trace->resource_spans_size(), 2);
  int spans = 0;
  for (const auto& rs : trace->resource_spans()) {
    ASSERT_EQ(rs.scope_spans_size(), 1);
    EXPECT_EQ(rs.scope_spans(0).scope().name(), "test");
    for (const auto& span : rs.scope_spans(0).spans()) {
      ++spans;
      if (span.name() == "POST /orders") {
        EXPECT_EQ(ServiceName(rs.resource()), "shop-api");
        EXPECT_EQ(rs.resource().attributes_size(), 2);
        EXPECT_EQ(span.end_time_unix_nano() - span.start_time_unix_nano(), 50 * kMs);
        EXPECT_EQ(span.attributes(0).value().string_value(), "A-1");
      } else {
        EXPECT_EQ(ServiceName(rs.resource()), "crm-api");
        EXPECT_EQ(BytesToHex(span.parent_span_id()), SpanHex(1));
      }
    }
  }
  EXPECT_EQ(spans, 2);
}

TYPED_TEST(TraceStoreTest, UnknownTraceIsNotFound) {
  EXPECT_THAT(this->store_->GetTrace(*TraceId::FromHex(TraceHex(99))),
              StatusIs(absl::StatusCode::kNotFound));
  auto summaries = this->store_->GetSummaries({*TraceId::FromHex(TraceHex(99))});
  SV_ASSERT_OK(summaries);
  EXPECT_THAT(*summaries, IsEmpty());
}

TYPED_TEST(TraceStoreTest, RetriedExportsDoNotDuplicateSpans) {
  this->IngestPipeline();
  this->IngestPipeline();
  auto trace = this->store_->GetTrace(*TraceId::FromHex(TraceHex(1)));
  SV_ASSERT_OK(trace);
  int spans = 0;
  for (const auto& rs : trace->resource_spans()) spans += rs.scope_spans(0).spans_size();
  EXPECT_EQ(spans, 2);
  auto summaries = this->store_->GetSummaries({*TraceId::FromHex(TraceHex(1))});
  SV_ASSERT_OK(summaries);
  ASSERT_EQ(summaries->size(), 1u);
  EXPECT_EQ((*summaries)[0].span_count, 2);
}

TYPED_TEST(TraceStoreTest, CataloguesServicesAndOperationsWithKinds) {
  this->IngestPipeline();
  this->Reopen();
  auto services = this->store_->GetServices();
  SV_ASSERT_OK(services);
  EXPECT_THAT(*services, ElementsAre("crm-api", "mes-api", "shop-api"));
  auto ops = this->store_->GetOperations("crm-api", "");
  SV_ASSERT_OK(ops);
  EXPECT_THAT(*ops, ElementsAre(Operation{"orders publish", "producer"}));
  auto servers = this->store_->GetOperations("crm-api", "server");
  SV_ASSERT_OK(servers);
  EXPECT_THAT(*servers, IsEmpty());
  auto none = this->store_->GetOperations("nobody", "");
  SV_ASSERT_OK(none);
  EXPECT_THAT(*none, IsEmpty());
}

TYPED_TEST(TraceStoreTest, SummarizesTraces) {
  this->IngestPipeline();
  // A late span of trace 1 in another batch merges into the same summary.
  this->Ingest({{.service = "mes-api",
                 .trace_id = TraceHex(1),
                 .span_id = SpanHex(9),
                 .parent_span_id = SpanHex(2),
                 .name = "orders process",
                 .kind = 5,
                 .start_unix_nano = kT0 + 20 * kMs,
                 .duration_nanos = 100 * kMs,
                 .error = true}});
  this->Reopen();
  auto summaries =
      this->store_->GetSummaries({*TraceId::FromHex(TraceHex(1)), *TraceId::FromHex(TraceHex(2))});
  SV_ASSERT_OK(summaries);
  ASSERT_EQ(summaries->size(), 2u);
  const TraceSummary& s = (*summaries)[0];
  EXPECT_EQ(s.trace_id.ToHex(), TraceHex(1));
  EXPECT_EQ(s.root_service_name, "shop-api");
  EXPECT_EQ(s.root_operation_name, "POST /orders");
  EXPECT_EQ(s.min_start_time_unix_nano, kT0);
  EXPECT_EQ(s.max_end_time_unix_nano, kT0 + 120 * kMs);
  EXPECT_EQ(s.span_count, 3);
  EXPECT_EQ(s.error_span_count, 1);
  ASSERT_EQ(s.services.size(), 3u);
  EXPECT_EQ(s.services[0].name, "crm-api");
  EXPECT_EQ(s.services[1].name, "mes-api");
  EXPECT_EQ(s.services[1].error_span_count, 1);
  EXPECT_EQ(s.services[2].span_count, 1);
  EXPECT_EQ((*summaries)[1].error_span_count, 1);
}

TYPED_TEST(TraceStoreTest, FindsByServiceNewestFirst) {
  this->IngestPipeline();
  this->Reopen();
  TraceQuery q = this->Window();
  q.service_name = "shop-api";
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(2), TraceHex(1)));
  q.search_depth = 1;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(2)));
}

TYPED_TEST(TraceStoreTest, FindsByOperation) {
  this->IngestPipeline();
  TraceQuery q = this->Window();
  q.service_name = "crm-api";
  q.operation_name = "orders publish";
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(1)));
  q.operation_name = "nothing";
  EXPECT_THAT(this->Find(q), IsEmpty());
}

TYPED_TEST(TraceStoreTest, FindsByIndexedAndNonIndexedAttributes) {
  this->IngestPipeline();
  this->Reopen();
  TraceQuery q = this->Window();
  q.service_name = "shop-api";
  q.attributes = {{"order_id", "A-1"}};
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(1)));
  q.service_name = "";  // any service: the order across the RabbitMQ hop
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(3), TraceHex(1)));
  q.service_name = "crm-api";
  q.attributes = {{"note", "x y"}};  // not indexed: verified span by span
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(1)));
  q.attributes = {{"note", "x"}};
  EXPECT_THAT(this->Find(q), IsEmpty());
  q.service_name = "shop-api";
  q.attributes = {{"deployment.environment", "prod"}};  // a resource attribute
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(1)));
}

TYPED_TEST(TraceStoreTest, FindsErrorsByDerivedTags) {
  this->IngestPipeline();
  TraceQuery q = this->Window();
  q.service_name = "shop-api";
  q.attributes = {{"error", "true"}};
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(2)));
  q.attributes = {{"span.kind", "server"}, {"otel.status_code", "ERROR"}};
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(2)));
}

TYPED_TEST(TraceStoreTest, AllConditionsMustHoldOnOneSpan) {
  this->IngestPipeline();
  TraceQuery q = this->Window();
  q.service_name = "shop-api";
  q.operation_name = "POST /orders";
  q.attributes = {{"order_id", "A-2"}};
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(2)));
  q.attributes = {{"messaging.system", "rabbitmq"}};  // on the crm span of trace 1, not shop's
  EXPECT_THAT(this->Find(q), IsEmpty());
}

TYPED_TEST(TraceStoreTest, FindsByDurationRange) {
  this->IngestPipeline();
  this->Reopen();
  TraceQuery q = this->Window();
  q.service_name = "shop-api";
  q.duration_min_nanos = kSec;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(2)));
  q.duration_min_nanos = std::nullopt;
  q.duration_max_nanos = 100 * kMs;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(1)));
  q.service_name = "";
  q.duration_min_nanos = 200 * kMs;
  q.duration_max_nanos = 500 * kMs;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(3)));
  q.operation_name = "orders process";
  q.attributes = {{"order_id", "A-1"}};
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(3)));
}

TYPED_TEST(TraceStoreTest, RespectsTheTimeWindow) {
  this->IngestPipeline();
  TraceQuery q;
  q.service_name = "shop-api";
  q.start_time_min_unix_nano = kT0 + 50 * kMs;
  q.start_time_max_unix_nano = kT0 + 200 * kMs;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(2)));
  q.start_time_min_unix_nano = kT0 - 10 * kSec;
  q.start_time_max_unix_nano = kT0 - kSec;
  EXPECT_THAT(this->Find(q), IsEmpty());
  q.start_time_max_unix_nano = kT0 - 20 * kSec;
  EXPECT_THAT(this->store_->FindTraceIds(q), StatusIs(absl::StatusCode::kInvalidArgument));
}

TYPED_TEST(TraceStoreTest, SearchesAcrossHoursForDurations) {
  for (int h = 0; h < 5; ++h) {
    this->Ingest({{.trace_id = TraceHex(100 + h),
                   .span_id = SpanHex(100 + h),
                   .start_unix_nano = kT0 + h * 3600 * kSec,
                   .duration_nanos = (h + 1) * kSec}});
  }
  TraceQuery q;
  q.service_name = "shop-api";
  q.start_time_min_unix_nano = kT0;
  q.start_time_max_unix_nano = kT0 + 10 * 3600 * kSec;
  q.duration_min_nanos = 2 * kSec;
  q.duration_max_nanos = 4 * kSec;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(103), TraceHex(102), TraceHex(101)));
}

TYPED_TEST(TraceStoreTest, DurationSearchIsNewestFirstAcrossOperations) {
  constexpr uint64_t kHour = 3600 * kSec;
  this->Ingest({{.service = "dur",
                 .trace_id = TraceHex(201),
                 .span_id = SpanHex(1),
                 .name = "a-op",
                 .start_unix_nano = kT0,
                 .duration_nanos = 10 * kMs}});
  this->Ingest({{.service = "dur",
                 .trace_id = TraceHex(202),
                 .span_id = SpanHex(2),
                 .name = "b-op",
                 .start_unix_nano = kT0 + kHour,
                 .duration_nanos = 10 * kMs}});
  this->Ingest({{.service = "dur",
                 .trace_id = TraceHex(203),
                 .span_id = SpanHex(3),
                 .name = "b-op",
                 .start_unix_nano = kT0 + 2 * kHour,
                 .duration_nanos = 2 * kSec}});
  TraceQuery q;
  q.service_name = "dur";
  q.start_time_min_unix_nano = kT0 - kHour;
  q.start_time_max_unix_nano = kT0 + 3 * kHour;
  q.duration_max_nanos = 100 * kMs;
  q.search_depth = 1;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(202)));
  q.search_depth = 10;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(202), TraceHex(201)));
}

// --- Scoped search (the caller's access policy, applied before the index scan) ---------------

// Visible traces 1..3 (shop-api) under 20 newer ones of a hidden service, all with the same
// operation, order and duration, so every index path meets the hidden ones first.
std::vector<TestSpan> HiddenTraffic() {
  std::vector<TestSpan> spans;
  for (uint64_t n = 1; n <= 23; ++n) {
    spans.push_back({.service = n <= 3 ? "shop-api" : "secret-api",
                     .trace_id = TraceHex(n),
                     .span_id = SpanHex(n),
                     .name = "POST /orders",
                     .start_unix_nano = kT0 + n * kMs,
                     .duration_nanos = 5 * kMs,
                     .attributes = {{"order_id", "A-1"}, {"note", "n"}}});
  }
  return spans;
}

SearchScope HideSecretApi() {
  return {.service_visible = [](std::string_view s) { return s != "secret-api"; }};
}

TYPED_TEST(TraceStoreTest, ScopedSearchSkipsHiddenServicesBeforeTheLimit) {
  this->Ingest(HiddenTraffic());
  this->Reopen();
  TraceQuery q = this->Window();
  q.search_depth = 3;
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(23), TraceHex(22), TraceHex(21)));  // unscoped
  q.scope = HideSecretApi();
  auto expected = ElementsAre(TraceHex(3), TraceHex(2), TraceHex(1));
  EXPECT_THAT(this->Find(q), expected);  // service index
  q.operation_name = "POST /orders";
  EXPECT_THAT(this->Find(q), expected);  // operation index
  q.duration_min_nanos = kMs;
  EXPECT_THAT(this->Find(q), expected);  // duration index
  q.operation_name.clear();
  q.duration_min_nanos.reset();
  q.attributes = {{"order_id", "A-1"}};
  EXPECT_THAT(this->Find(q), expected);  // attribute index
  q.attributes = {{"note", "n"}};
  EXPECT_THAT(this->Find(q), expected);  // not indexed: verified span by span
}

TYPED_TEST(TraceStoreTest, ScopedSearchNamingAHiddenServiceFindsNothing) {
  this->Ingest(HiddenTraffic());
  TraceQuery q = this->Window();
  q.service_name = "secret-api";
  EXPECT_EQ(this->Find(q).size(), 20u);
  q.scope = HideSecretApi();
  EXPECT_THAT(this->Find(q), IsEmpty());
  q.attributes = {{"order_id", "A-1"}};
  EXPECT_THAT(this->Find(q), IsEmpty());
}

TYPED_TEST(TraceStoreTest, ScopedSearchMatchesOnlySpansOfVisibleServices) {
  // One trace: a visible span without the order, a hidden span with it.
  this->Ingest({{.service = "shop-api", .trace_id = TraceHex(1), .span_id = SpanHex(1)},
                {.service = "secret-api",
                 .trace_id = TraceHex(1),
                 .span_id = SpanHex(2),
                 .parent_span_id = SpanHex(1),
                 .name = "secret op",
                 .attributes = {{"order_id", "Z-9"}, {"note", "z"}}}});
  for (auto attributes : {std::pair<std::string, std::string>{"order_id", "Z-9"}, {"note", "z"}}) {
    TraceQuery q = this->Window();
    q.attributes = {attributes};
    EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(1)));
    q.scope = HideSecretApi();
    EXPECT_THAT(this->Find(q), IsEmpty()) << attributes.first;
  }
  TraceQuery q = this->Window();
  q.operation_name = "secret op";
  q.scope = HideSecretApi();
  EXPECT_THAT(this->Find(q), IsEmpty());
}

TYPED_TEST(TraceStoreTest, ScopedSearchCannotProbeHiddenAttributeValues) {
  this->Ingest({{.trace_id = TraceHex(1),
                 .span_id = SpanHex(1),
                 .attributes = {{"user_id", "u-7"}, {"email", "a@b.c"}}}});
  auto hide_personal = [](std::string_view, std::string_view key) {
    return key != "user_id" && key != "email";
  };
  for (auto attribute : {std::pair<std::string, std::string>{"user_id", "u-7"},  // indexed
                         {"email", "a@b.c"}}) {                                  // not indexed
    TraceQuery q = this->Window();
    q.attributes = {attribute};
    EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(1))) << attribute.first;
    q.scope.tag_visible = hide_personal;
    EXPECT_THAT(this->Find(q), IsEmpty()) << attribute.first;
  }
}

// --- Durable tail sampling -------------------------------------------------------------------

PendingTrace Pending(uint64_t n, int spans, bool root) {
  return PendingTrace{*TraceId::FromHex(TraceHex(n)),
                      absl::FromUnixSeconds(1000),
                      absl::FromUnixSeconds(1001),
                      root,
                      spans,
                      100};
}

SamplingDecision Decision(uint64_t n, bool keep, int64_t at_seconds = 2000) {
  return SamplingDecision{*TraceId::FromHex(TraceHex(n)), keep, keep ? "errors" : "",
                          absl::FromUnixSeconds(at_seconds)};
}

TYPED_TEST(TraceStoreTest, PendingTracesAreReadableByIdButNotSearchable) {
  SV_ASSERT_OK(
      ConsumeAndWait(*this->store_, MakeBatch({{.trace_id = TraceHex(1), .span_id = SpanHex(1)}})));
  this->IngestPending({{.service = "mes-api",
                        .trace_id = TraceHex(5),
                        .span_id = SpanHex(1),
                        .name = "orders process",
                        .start_unix_nano = kT0}},
                      {Pending(5, 1, true)});
  this->Reopen();
  SV_EXPECT_OK(this->store_->GetTrace(*TraceId::FromHex(TraceHex(5))));
  EXPECT_THAT(this->store_->IsPending(*TraceId::FromHex(TraceHex(5))), IsOkAndHolds(true));
  EXPECT_THAT(this->store_->IsPending(*TraceId::FromHex(TraceHex(1))), IsOkAndHolds(false));
  TraceQuery q = this->Window();
  q.service_name = "mes-api";
  EXPECT_THAT(this->Find(q), IsEmpty());
  auto summaries = this->store_->GetSummaries({*TraceId::FromHex(TraceHex(5))});
  SV_ASSERT_OK(summaries);
  EXPECT_THAT(*summaries, IsEmpty());
  auto services = this->store_->GetServices();
  SV_ASSERT_OK(services);
  EXPECT_THAT(*services, ElementsAre("shop-api"));  // undecided traces are not catalogued yet
  auto pending = this->store_->LoadPending();
  SV_ASSERT_OK(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].trace_id.ToHex(), TraceHex(5));
  EXPECT_EQ((*pending)[0].first_seen, absl::FromUnixSeconds(1000));
  EXPECT_TRUE((*pending)[0].root_seen);
  EXPECT_EQ((*pending)[0].span_count, 1);
}

TYPED_TEST(TraceStoreTest, PendingWritesReportAndUncountRetriedSpans) {
  this->IngestPending({{.trace_id = TraceHex(11), .span_id = SpanHex(1)}}, {Pending(11, 1, true)});
  // A retry of span 1 together with a new span 2: the sampler counted 3 spans.
  absl::Notification done;
  std::vector<DuplicateSpans> duplicates;
  this->store_->ConsumePending(MakeBatch({{.trace_id = TraceHex(11), .span_id = SpanHex(1)},
                                          {.trace_id = TraceHex(11), .span_id = SpanHex(2)}}),
                               {Pending(11, 3, true)},
                               [&](absl::Status s, std::vector<DuplicateSpans> d) {
                                 EXPECT_TRUE(s.ok()) << s;
                                 duplicates = std::move(d);
                                 done.Notify();
                               });
  done.WaitForNotification();
  ASSERT_EQ(duplicates.size(), 1u);
  EXPECT_EQ(duplicates[0].trace_id.ToHex(), TraceHex(11));
  EXPECT_EQ(duplicates[0].spans, 1);
  EXPECT_GT(duplicates[0].bytes, 0);
  this->Reopen();
  auto pending = this->store_->LoadPending();
  SV_ASSERT_OK(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].span_count, 2);  // what is on disk
  EXPECT_EQ((*pending)[0].bytes, 100 - duplicates[0].bytes);
}

TYPED_TEST(TraceStoreTest, KeepIndexesSummarizesAndTagsTheRoot) {
  this->IngestPending({{.service = "shop-api",
                        .trace_id = TraceHex(6),
                        .span_id = SpanHex(1),
                        .name = "POST /orders",
                        .start_unix_nano = kT0,
                        .attributes = {{"order_id", "K-1"}}},
                       {.service = "mes-api",
                        .trace_id = TraceHex(6),
                        .span_id = SpanHex(2),
                        .parent_span_id = SpanHex(1),
                        .name = "process",
                        .start_unix_nano = kT0 + kMs,
                        .error = true}},
                      {Pending(6, 2, true)});
  this->Decide({Decision(6, true)});
  this->Reopen();
  TraceQuery q = this->Window();
  q.attributes = {{"order_id", "K-1"}};
  EXPECT_THAT(this->Find(q), ElementsAre(TraceHex(6)));
  auto summaries = this->store_->GetSummaries({*TraceId::FromHex(TraceHex(6))});
  SV_ASSERT_OK(summaries);
  ASSERT_EQ(summaries->size(), 1u);
  EXPECT_EQ((*summaries)[0].span_count, 2);
  EXPECT_EQ((*summaries)[0].error_span_count, 1);
  EXPECT_EQ((*summaries)[0].root_service_name, "shop-api");
  auto services = this->store_->GetServices();
  SV_ASSERT_OK(services);
  EXPECT_THAT(*services, ElementsAre("mes-api", "shop-api"));
  auto trace = this->store_->GetTrace(*TraceId::FromHex(TraceHex(6)));
  SV_ASSERT_OK(trace);
  int tagged = 0;
  for (const auto& rs : trace->resource_spans()) {
    for (const auto& span : rs.scope_spans(0).spans()) {
      const otlp::AnyValue* policy = FindAttribute(span.attributes(), "sampling.policy");
      if (policy != nullptr) {
        ++tagged;
        EXPECT_EQ(span.name(), "POST /orders");
        EXPECT_EQ(policy->string_value(), "errors");
      }
    }
  }
  EXPECT_EQ(tagged, 1);
  EXPECT_THAT(this->store_->IsPending(*TraceId::FromHex(TraceHex(6))), IsOkAndHolds(false));
  auto pending = this->store_->LoadPending();
  SV_ASSERT_OK(pending);
  EXPECT_THAT(*pending, IsEmpty());
}

TYPED_TEST(TraceStoreTest, DropDeletesTheTraceButNeverAKeptOne) {
  this->IngestPending({{.trace_id = TraceHex(7), .span_id = SpanHex(1)}}, {Pending(7, 1, true)});
  this->IngestPending({{.trace_id = TraceHex(8), .span_id = SpanHex(1)}}, {Pending(8, 1, true)});
  this->Decide({Decision(7, false), Decision(8, true)});
  // A late episode of trace 8 after its decision was forgotten is decided "drop".
  this->IngestPending(
      {{.trace_id = TraceHex(8), .span_id = SpanHex(2), .parent_span_id = SpanHex(1)}},
      {Pending(8, 1, false)});
  // Late spans of a kept trace wait for a decision, but the trace is not shown as undecided.
  EXPECT_THAT(this->store_->IsPending(*TraceId::FromHex(TraceHex(8))), IsOkAndHolds(false));
  this->Decide({Decision(8, false, 3000)});
  this->Reopen();
  EXPECT_THAT(this->store_->GetTrace(*TraceId::FromHex(TraceHex(7))),
              StatusIs(absl::StatusCode::kNotFound));
  auto kept = this->store_->GetTrace(*TraceId::FromHex(TraceHex(8)));
  SV_ASSERT_OK(kept);
  int spans = 0;
  for (const auto& rs : kept->resource_spans()) spans += rs.scope_spans(0).spans_size();
  EXPECT_EQ(spans, 2);
  auto summaries = this->store_->GetSummaries({*TraceId::FromHex(TraceHex(8))});
  SV_ASSERT_OK(summaries);
  ASSERT_EQ(summaries->size(), 1u);
  EXPECT_EQ((*summaries)[0].span_count, 2);
  // Still one `sampling.policy` tag after the second keep.
  int tags = 0;
  for (const auto& rs : kept->resource_spans()) {
    for (const auto& span : rs.scope_spans(0).spans()) {
      for (const auto& kv : span.attributes()) tags += kv.key() == "sampling.policy";
    }
  }
  EXPECT_EQ(tags, 1);
}

TYPED_TEST(TraceStoreTest, RemembersAndForgetsDecisions) {
  this->IngestPending({{.trace_id = TraceHex(9), .span_id = SpanHex(1)}}, {Pending(9, 1, true)});
  this->IngestPending({{.trace_id = TraceHex(10), .span_id = SpanHex(1)}}, {Pending(10, 1, true)});
  this->Decide({Decision(9, true, 2000)});
  this->Decide({Decision(10, false, 2500)});
  this->Reopen();
  auto all = this->store_->LoadDecisions(absl::FromUnixSeconds(0), 10);
  SV_ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].trace_id.ToHex(), TraceHex(9));
  EXPECT_TRUE((*all)[0].keep);
  EXPECT_EQ((*all)[0].policy, "errors");
  EXPECT_FALSE((*all)[1].keep);
  auto newest = this->store_->LoadDecisions(absl::FromUnixSeconds(0), 1);
  SV_ASSERT_OK(newest);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].trace_id.ToHex(), TraceHex(10));
  SV_ASSERT_OK(this->store_->ForgetDecisions(absl::FromUnixSeconds(2100)));
  auto rest = this->store_->LoadDecisions(absl::FromUnixSeconds(0), 10);
  SV_ASSERT_OK(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].trace_id.ToHex(), TraceHex(10));
}

TYPED_TEST(TraceStoreTest, KeepsRulesAcrossRestarts) {
  SV_ASSERT_OK(this->store_->PutRule("r2", "second"));
  SV_ASSERT_OK(this->store_->PutRule("r1", "first"));
  SV_ASSERT_OK(this->store_->PutRule("r3", "third"));
  SV_ASSERT_OK(this->store_->DeleteRule("r3"));
  EXPECT_THAT(this->store_->DeleteRule("nope"), StatusIs(absl::StatusCode::kNotFound));
  this->Reopen();
  auto rules = this->store_->LoadRules();
  SV_ASSERT_OK(rules);
  EXPECT_THAT(*rules, ElementsAre(std::pair<std::string, std::string>("r1", "first"),
                                  std::pair<std::string, std::string>("r2", "second")));
}

TYPED_TEST(TraceStoreTest, KeepsIdentitiesAndAuditApartAcrossRestarts) {
  KvWrite users;
  users.puts = {{"user/ann", "a"}, {"user/bob", "b"}, {"role/dev", "d"}};
  SV_ASSERT_OK(this->store_->Identities().Write(users));
  SV_ASSERT_OK(this->store_->Audit().Write(KvWrite{{{"user/ann", "audit record"}}, {}}));
  SV_ASSERT_OK(this->store_->Identities().Write(KvWrite{{{"user/cy", "c"}}, {"user/bob"}}));
  this->Reopen();
  auto scanned = this->store_->Identities().Scan("user/");
  SV_ASSERT_OK(scanned);
  EXPECT_THAT(*scanned, ElementsAre(std::pair<std::string, std::string>("user/ann", "a"),
                                    std::pair<std::string, std::string>("user/cy", "c")));
  auto ann = this->store_->Identities().Get("user/ann");
  SV_ASSERT_OK(ann);
  EXPECT_EQ(ann->value_or("absent"), "a");
  auto bob = this->store_->Identities().Get("user/bob");
  SV_ASSERT_OK(bob);
  EXPECT_FALSE(bob->has_value());
  auto audit = this->store_->Audit().Get("user/ann");
  SV_ASSERT_OK(audit);
  EXPECT_EQ(audit->value_or("absent"), "audit record");
}

TYPED_TEST(TraceStoreTest, RefusesBatchesAfterShutdown) {
  this->store_->Shutdown();
  EXPECT_THAT(
      ConsumeAndWait(*this->store_, MakeBatch({{.trace_id = TraceHex(1), .span_id = SpanHex(1)}})),
      StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace spanvault
