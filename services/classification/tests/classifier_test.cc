#include "changeledger/classification/classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "changeledger/classification/classification_service.h"
#include "changeledger/classification/codec.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/kv/in_memory_kv_store.h"

namespace changeledger::classification {
namespace {

using ::testing::HasSubstr;
namespace ipb = ::changeledger::intake::v1;

// The projection's key space, as the ProjectionRunner gives it.
class PrefixedKv final : public kv::KvStore {
 public:
  PrefixedKv(kv::KvStore& base, std::string prefix) : base_(base), prefix_(std::move(prefix)) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    return base_.Get(prefix_ + std::string(key));
  }
  absl::Status Scan(std::string_view begin, std::string_view end,
                    const kv::ScanFn& fn) override {
    std::string e = end.empty() ? prefix_ + "\xff" : prefix_ + std::string(end);
    return base_.Scan(prefix_ + std::string(begin), e,
                      [&](std::string_view k, std::string_view v) {
                        return fn(k.substr(prefix_.size()), v);
                      });
  }
  absl::Status Write(const kv::WriteBatch& batch, bool sync) override {
    kv::WriteBatch out;
    for (const auto& op : batch.ops()) {
      if (op.kind == kv::WriteBatch::Op::Kind::kPut) out.Put(prefix_ + op.key, op.value);
      if (op.kind == kv::WriteBatch::Op::Kind::kDelete) out.Delete(prefix_ + op.key);
    }
    return base_.Write(out, sync);
  }

 private:
  kv::KvStore& base_;
  std::string prefix_;
};

ipb::ChangeAttributes Attributes(bool experiment) {
  ipb::ChangeAttributes a;
  a.set_title("t");
  a.add_teams("A");
  a.add_teams("B");
  a.add_teams("A");
  a.add_teams("");
  a.mutable_estimated_cost()->set_currency_code("GBP");
  a.mutable_estimated_cost()->set_amount_minor(123'456'789);
  a.mutable_planned_start()->set_year(2021);
  a.mutable_planned_start()->set_month(4);
  a.mutable_planned_start()->set_day(15);
  a.mutable_planned_end()->set_year(2024);
  a.mutable_planned_end()->set_month(4);
  a.mutable_planned_end()->set_day(14);
  if (experiment) {
    a.mutable_features()->set_tests_hypothesis(true);
  } else {
    a.mutable_features()->set_has_business_case(true);
    a.mutable_features()->set_third_party_procurement(true);
  }
  return a;
}

eventstore::Envelope IntakeEvent(const std::string& change_id, uint64_t version,
                                 const google::protobuf::Message& payload) {
  eventstore::Envelope e;
  e.set_stream("change-" + change_id);
  e.set_version(version);
  e.set_event_id(absl::StrCat("intake-ev-", change_id, "-", version));
  e.set_type(payload.GetDescriptor()->full_name());
  e.set_correlation_id("corr-" + change_id);
  e.set_source("intake");
  e.mutable_payload()->PackFrom(payload);
  return e;
}

eventstore::Envelope Registered(const std::string& id, bool experiment = false) {
  ipb::ChangeRegistered p;
  p.set_change_id(id);
  *p.mutable_attributes() = Attributes(experiment);
  return IntakeEvent(id, 1, p);
}

eventstore::Envelope Amended(const std::string& id, uint64_t version, bool experiment) {
  ipb::ChangeAmended p;
  p.set_change_id(id);
  *p.mutable_attributes() = Attributes(experiment);
  return IntakeEvent(id, version, p);
}

class ClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = LoadRulesetFile(std::string(CLASSIFICATION_RULESET_DIR) +
                             "/differentiated-model-v1.yaml");
    ASSERT_TRUE(r.ok()) << r.status();
    ruleset_ = std::shared_ptr<const Ruleset>(std::move(*r));
    Restart();
  }

  void Restart() {
    classifier_.reset();
    ClassifierOptions options;
    options.clock = [this] { return now_; };
    auto c = Classifier::Create(store_.get(), kv_.get(), ruleset_, options);
    ASSERT_TRUE(c.ok()) << c.status();
    classifier_ = std::move(*c);
  }

  // What the ProjectionRunner does for one event.
  void Deliver(const eventstore::Envelope& e) {
    kv::Transaction txn(view_);
    ASSERT_TRUE(projection_.Apply(e, txn).ok());
    ASSERT_TRUE(txn.Commit(false).ok());
  }

  void DeliverAndDrain(const eventstore::Envelope& e) {
    Deliver(e);
    ASSERT_TRUE(classifier_->DrainInbox().ok());
  }

  std::unique_ptr<eventstore::EventStore> store_ = eventstore::NewInMemoryEventStore();
  std::unique_ptr<kv::KvStore> kv_ = kv::NewInMemoryKvStore();
  PrefixedKv view_{*kv_, bus::ProjectionKeyPrefix(kIntakeProjectionName)};
  IntakeProjection projection_;
  std::shared_ptr<const Ruleset> ruleset_;
  std::unique_ptr<Classifier> classifier_;
  // The service's clock.
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

absl::Time OccurredAt(const eventstore::Envelope& e) {
  return absl::FromUnixSeconds(e.occurred_at().seconds()) + absl::Nanoseconds(e.occurred_at().nanos());
}

TEST_F(ClassifierTest, FactsFromAttributes) {
  const ChangeFacts f = FactsFromAttributes(Attributes(false));
  EXPECT_EQ(f.teams, 2u);  // distinct, non-empty
  EXPECT_EQ(f.estimated_cost_gbp, 1'234'567);
  EXPECT_EQ(f.planned_duration_months, 35u);  // one day short of 36
  EXPECT_TRUE(f.has_business_case);
  EXPECT_EQ(FromProto(ToProto(f)), f);
}

TEST_F(ClassifierTest, EventsRoundTripThroughEnvelopes) {
  const ChangeFacts facts = FactsFromAttributes(Attributes(false));
  const Event suggested = ClassificationSuggested{
      "c1", facts, ruleset_->Evaluate(facts), TriggerRef{"change-c1", 1, "e", "t"}, true};
  // The explanation's flags travel too.
  Suggestion flagged = ruleset_->Evaluate(facts);
  flagged.complexity_raised_to_floor = true;
  flagged.types_from_most_points = true;
  const Event suggested_with_flags =
      ClassificationSuggested{"c1", facts, flagged, TriggerRef{"change-c1", 2, "e2", "t"}, false};
  const Event overridden = ClassificationOverridden{
      "c1", Classification{Tier::kMandated, Complexity::kHigh, {ComplexityType::kEmergent}},
      "why", 1};
  for (const Event& e : {suggested, suggested_with_flags, overridden}) {
    eventstore::Envelope env = ToEnvelope(e, "alice");
    EXPECT_EQ(env.source(), "classification");
    EXPECT_EQ(env.actor(), "alice");
    auto back = FromEnvelope(env);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, e);
  }
  eventstore::Envelope bad;
  bad.set_type("changeledger.classification.v1.Nope");
  EXPECT_EQ(FromEnvelope(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClassifierTest, RegisteredChangeGetsOneSuggestionWithItsTrigger) {
  DeliverAndDrain(Registered("c1"));
  auto state = classifier_->Get("c1");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->status, Status::kAwaitingConfirmation);
  EXPECT_EQ(state->latest_suggestion->suggestion.classification.tier, Tier::kMandated);
  EXPECT_EQ(state->latest_suggestion->trigger.stream, "change-c1");
  EXPECT_EQ(*classifier_->InboxDepth(), 0u);

  auto stored = store_->ReadStream("classification-c1", 1, 10);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].type(), "changeledger.classification.v1.ClassificationSuggested");
  EXPECT_EQ((*stored)[0].actor(), "classification");
  EXPECT_EQ((*stored)[0].causation_id(), "intake-ev-c1-1");
  EXPECT_EQ((*stored)[0].correlation_id(), "corr-c1");

  // The service's own view of the change.
  auto view = view_.Get("change/c1");
  ASSERT_TRUE(view.ok() && view->has_value());
  pb::IntakeChangeView v;
  ASSERT_TRUE(v.ParseFromString(**view));
  EXPECT_EQ(v.status(), intake::v1::CHANGE_STATUS_REGISTERED);
  EXPECT_TRUE(v.facts().features().has_business_case());
}

// The audit history shows when each event occurred: a suggestion or
// closure when the service made it, a decision when the office made it.
// A command's events are tied together by its key, or by a fresh UUID
// without one, as intake's are; a suggestion's name the intake event.
TEST_F(ClassifierTest, EveryEventOccursOnTheServicesClockAndNamesItsCause) {
  const absl::Time t0 = now_;
  DeliverAndDrain(Registered("c1"));
  now_ += absl::Minutes(1);
  ASSERT_TRUE(classifier_->Confirm({"c1", 1, "ok"}, "alice", "").ok());
  now_ += absl::Minutes(1);
  const OverrideClassification cmd{
      "c1", 2, Classification{Tier::kExperimental, Complexity::kLow, {}}, "a pilot"};
  ASSERT_TRUE(classifier_->Override(cmd, "alice", "").ok());
  now_ += absl::Minutes(1);
  ASSERT_TRUE(
      classifier_->Override({cmd.change_id, 3, cmd.classification, "still a pilot"}, "alice",
                            "alice/OverrideClassification/c1/k")
          .ok());
  now_ += absl::Minutes(1);
  ipb::ChangeClosed closed;
  closed.set_change_id("c1");
  DeliverAndDrain(IntakeEvent("c1", 2, closed));

  auto stored = store_->ReadStream("classification-c1", 1, 10);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 5u);
  for (size_t i = 0; i < stored->size(); ++i) {
    EXPECT_TRUE((*stored)[i].has_occurred_at()) << (*stored)[i].type();
    EXPECT_EQ(OccurredAt((*stored)[i]), t0 + absl::Minutes(static_cast<int64_t>(i)))
        << (*stored)[i].type();
  }
  const auto& suggested = (*stored)[0];
  EXPECT_EQ(suggested.correlation_id(), "corr-c1");
  EXPECT_EQ(suggested.causation_id(), "intake-ev-c1-1");
  const auto& confirmed = (*stored)[1];
  const auto& overridden = (*stored)[2];
  EXPECT_EQ(confirmed.correlation_id().size(), 36u) << confirmed.correlation_id();
  EXPECT_EQ(overridden.correlation_id().size(), 36u) << overridden.correlation_id();
  EXPECT_NE(confirmed.correlation_id(), overridden.correlation_id());
  EXPECT_EQ(confirmed.causation_id(), "");
  EXPECT_EQ(overridden.causation_id(), "");
  const auto& keyed = (*stored)[3];
  EXPECT_EQ(keyed.correlation_id(), "alice/OverrideClassification/c1/k");
  EXPECT_EQ(keyed.causation_id(), "alice/OverrideClassification/c1/k");
  const auto& closure = (*stored)[4];
  EXPECT_EQ(closure.type(), "changeledger.classification.v1.ClassificationClosed");
  EXPECT_EQ(closure.correlation_id(), "corr-c1");
  EXPECT_EQ(closure.causation_id(), "intake-ev-c1-2");

  // The key is still recognised after a restart: a retry stores nothing.
  Restart();
  auto retry = classifier_->Override({cmd.change_id, 3, cmd.classification, "still a pilot"},
                                     "alice", "alice/OverrideClassification/c1/k");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->version, 5u);
  EXPECT_EQ(store_->LastPosition(), 5u);
}

TEST_F(ClassifierTest, IntakeEventsThatAreNotAboutChangesAreIgnored) {
  ipb::ProposalSubmitted p;
  p.set_proposal_id("p1");
  eventstore::Envelope e = IntakeEvent("x", 1, p);
  e.set_stream("proposal-p1");
  DeliverAndDrain(e);
  EXPECT_EQ(store_->LastPosition(), 0u);
  EXPECT_EQ(*classifier_->InboxDepth(), 0u);
}

TEST_F(ClassifierTest, RedeliveryAndRebuildNeverDuplicateSuggestions) {
  DeliverAndDrain(Registered("c1"));
  DeliverAndDrain(Registered("c1"));  // at-least-once delivery
  EXPECT_EQ(store_->LastPosition(), 1u);
  // A crash after the append but before the inbox entry was deleted: the
  // entry is handled again after a restart.
  Deliver(Registered("c1"));
  Restart();
  ASSERT_TRUE(classifier_->DrainInbox().ok());
  EXPECT_EQ(store_->LastPosition(), 1u);
  EXPECT_EQ(*classifier_->InboxDepth(), 0u);
}

TEST_F(ClassifierTest, StateSurvivesRestart) {
  DeliverAndDrain(Registered("c1"));
  DeliverAndDrain(Registered("c2", true));
  auto confirmed = classifier_->Confirm({"c1", 1, "ok"}, "alice", "alice/Confirm/r1");
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  Restart();
  auto c1 = classifier_->Get("c1");
  ASSERT_TRUE(c1.has_value());
  EXPECT_EQ(c1->status, Status::kConfirmed);
  EXPECT_EQ(c1->in_force->actor, "alice");
  ASSERT_EQ(classifier_->QueueSnapshot().size(), 1u);
  EXPECT_EQ(classifier_->QueueSnapshot()[0].change_id, "c2");
  // The retried command is answered from the log, also after a restart.
  auto retry = classifier_->Confirm({"c1", 1, "ok"}, "alice", "alice/Confirm/r1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->version, 2u);
  EXPECT_EQ(store_->LastPosition(), 3u);
}

TEST_F(ClassifierTest, CommandsRetryIdempotentlyAndRejectStaleVersions) {
  DeliverAndDrain(Registered("c1"));
  OverrideClassification cmd{"c1", 1, Classification{Tier::kTransformational, Complexity::kHigh, {}},
                             "part of a programme"};
  auto first = classifier_->Override(cmd, "bob", "bob/Override/k");
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = classifier_->Override(cmd, "bob", "bob/Override/k");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->version, 2u);
  EXPECT_EQ(store_->LastPosition(), 2u);
  auto stale = classifier_->Override(cmd, "bob", "bob/Override/other");
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  auto unknown = classifier_->Confirm({"nope", 1, ""}, "bob", "");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kFailedPrecondition);
}

// The key of a command is its principal's, RPC's and change's alone,
// whatever characters the principal's name and the request id hold.
TEST(ScopedRequestIdTest, NoTwoPrincipalsOrRequestIdsShareAKey) {
  const std::string change = "0b5c8f8e-6a5e-4a57-9d0b-4c7a3f1f2f10";
  EXPECT_EQ(
      ScopedRequestId("alice", "ConfirmClassification", change, "r1"),
      absl::StrCat("classification:5:alice:ConfirmClassification:36:", change, ":r1"));
  const std::string key =
      ScopedRequestId("alice", "OverrideClassification", change, "r1");
  EXPECT_EQ(key, ScopedRequestId("alice", "OverrideClassification", change, "r1"));
  EXPECT_NE(key, ScopedRequestId("bob", "OverrideClassification", change, "r1"));
  EXPECT_NE(key, ScopedRequestId("alice", "ConfirmClassification", change, "r1"));
  EXPECT_NE(key, ScopedRequestId("alice", "OverrideClassification",
                                 "1c2d3e4f-0000-4000-8000-000000000000", "r1"));
  // A principal's name that runs into the RPC and change: these two made
  // one key when the parts were joined with "/".
  const std::string rest = absl::StrCat("/OverrideClassification/", change);
  EXPECT_NE(
      ScopedRequestId("a" + rest, "OverrideClassification", change, "r"),
      ScopedRequestId("a", "OverrideClassification", change, rest.substr(1) + "/r"));
  EXPECT_NE(ScopedRequestId("a/b", "OverrideClassification", change, "c"),
            ScopedRequestId("a", "OverrideClassification", change, "b/c"));
  // Nor with the separator the key uses now.
  const std::string colon_rest = absl::StrCat(":OverrideClassification:36:", change);
  EXPECT_NE(ScopedRequestId("a" + colon_rest, "OverrideClassification", change, "r"),
            ScopedRequestId("a", "OverrideClassification", change,
                            colon_rest.substr(1) + ":r"));
  EXPECT_NE(ScopedRequestId("a:1", "OverrideClassification", change, "r"),
            ScopedRequestId("a", "OverrideClassification", change, "1:r"));

  // Past what the store keeps, a key is its name-based UUID, the same on a
  // retry and different for another principal.
  const std::string long_principal(200, 'p');
  const std::string long_key = ScopedRequestId(long_principal, "OverrideClassification",
                                               change, std::string(128, 'r'));
  EXPECT_LE(long_key.size(), eventstore::kMaxRequestIdBytes);
  EXPECT_TRUE(absl::StartsWith(long_key, "classification-hashed:")) << long_key;
  EXPECT_EQ(long_key, ScopedRequestId(long_principal, "OverrideClassification", change,
                                      std::string(128, 'r')));
  EXPECT_NE(long_key, ScopedRequestId(long_principal + "q", "OverrideClassification",
                                      change, std::string(128, 'r')));
}

TEST_F(ClassifierTest, AmendmentAfterConfirmationWaitsForReview) {
  DeliverAndDrain(Registered("c1"));
  ASSERT_TRUE(classifier_->Confirm({"c1", 1, ""}, "alice", "").ok());
  DeliverAndDrain(Amended("c1", 2, /*experiment=*/true));
  auto s = classifier_->Get("c1");
  EXPECT_EQ(s->in_force->classification.tier, Tier::kMandated);
  EXPECT_EQ(s->latest_suggestion->suggestion.classification.tier, Tier::kExperimental);
  EXPECT_TRUE(s->review_pending);
  auto history = classifier_->History("c1");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 3u);
}

TEST_F(ClassifierTest, ClosedChangeKeepsLastFactsAndRefusesCommands) {
  DeliverAndDrain(Registered("c1"));
  ipb::ChangeStopped stopped;
  stopped.set_change_id("c1");
  stopped.set_reason("budget");
  DeliverAndDrain(IntakeEvent("c1", 2, stopped));
  auto s = classifier_->Get("c1");
  EXPECT_TRUE(s->closed());
  auto r = classifier_->Confirm({"c1", 2, ""}, "alice", "");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("stopped"));
  EXPECT_TRUE(classifier_->QueueSnapshot().empty());
}

TEST_F(ClassifierTest, WorkerThreadDrainsInboxWhenNotified) {
  classifier_->Start();
  Deliver(Registered("c1"));
  classifier_->Notify();
  for (int i = 0; i < 200 && !classifier_->Get("c1"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(classifier_->Get("c1").has_value());
  classifier_->Stop();
  EXPECT_TRUE(classifier_->worker_status().ok());
}

// 450 overridden classifications with 4000-character rationales are 3.6
// MB of answer: a page of them stops short of page_size, within what a
// gRPC client receives by default (4 MiB), and the next pages bring the
// rest.
TEST_F(ClassifierTest, ListPagesFitAClientsDefaultMessageLimit) {
  std::string rationale;
  for (int i = 0; i < 4000; ++i) rationale += "\xC5\xB5";  // ŵ, two bytes
  std::vector<std::string> expected;
  for (int i = 0; i < 450; ++i) {
    const std::string id = absl::StrFormat("c%03d", i);
    DeliverAndDrain(Registered(id));
    ASSERT_TRUE(classifier_
                    ->Override({id, 1, Classification{Tier::kMandated, Complexity::kLow, {}},
                                rationale},
                               "alice", "")
                    .ok());
    expected.push_back(ResourceName(id));
  }
  ClassificationServiceImpl service(classifier_.get(), {});
  grpc::ServerContext context;
  v1::ListClassificationsRequest request;
  request.set_page_size(500);
  v1::ListClassificationsResponse first;
  ASSERT_TRUE(service.ListClassifications(&context, &request, &first).ok());
  EXPECT_GT(first.classifications_size(), 0);
  EXPECT_LT(first.classifications_size(), 450);
  EXPECT_LE(first.ByteSizeLong(), size_t{4} << 20);
  EXPECT_EQ(first.total_size(), 450);
  std::vector<std::string> listed;
  v1::ListClassificationsResponse page = first;
  for (int guard = 0; guard < 10; ++guard) {
    for (const auto& c : page.classifications()) listed.push_back(c.name());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
    page.Clear();
    ASSERT_TRUE(service.ListClassifications(&context, &request, &page).ok());
  }
  EXPECT_EQ(listed, expected);
}

}  // namespace
}  // namespace changeledger::classification
