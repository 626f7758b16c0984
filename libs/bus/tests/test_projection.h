// Test helpers shared by the bus tests: a small projection whose state is
// order-independent across streams, and event builders.
#ifndef CHANGELEDGER_BUS_TESTS_TEST_PROJECTION_H_
#define CHANGELEDGER_BUS_TESTS_TEST_PROJECTION_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "changeledger/bus/projection.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/kv/in_memory_kv_store.h"

namespace changeledger::bus::testing {

// Per stream: "s/<stream>" = "<count>:<hash of the events in order>";
// per type: "t/<type>" = count. A duplicate or a reordering within a
// stream changes the state; any interleaving across streams does not.
class TallyProjection final : public Projection {
 public:
  std::string name() const override { return "tally"; }

  absl::Status Apply(const Envelope& event, kv::Transaction& txn) override {
    if (event.type() == "test.Poison") return absl::InvalidArgumentError("poison event");
    const std::string skey = "s/" + event.stream();
    auto current = txn.Get(skey);
    if (!current.ok()) return current.status();
    uint64_t count = 0, hash = 1469598103934665603ull;
    if (current->has_value()) {
      const std::string& v = **current;
      size_t colon = v.find(':');
      count = std::stoull(v.substr(0, colon));
      hash = std::stoull(v.substr(colon + 1));
    }
    if (event.version() != count + 1) {
      return absl::InternalError(absl::StrCat("out of order: ", event.stream(), " v",
                                              event.version(), " after ", count));
    }
    for (unsigned char c : event.event_id() + event.payload().value()) {
      hash = (hash ^ c) * 1099511628211ull;
    }
    txn.Put(skey, absl::StrCat(count + 1, ":", hash));
    const std::string tkey = "t/" + event.type();
    auto type_count = txn.Get(tkey);
    if (!type_count.ok()) return type_count.status();
    uint64_t n = type_count->has_value() ? std::stoull(**type_count) : 0;
    txn.Put(tkey, std::to_string(n + 1));
    return absl::OkStatus();
  }
};

// An append of `count` events to `stream`, with payload bytes naming them.
inline eventstore::AppendRequest MakeAppend(const std::string& stream, int count,
                                            const std::string& tag = "") {
  eventstore::AppendRequest request;
  eventstore::StreamAppend& write = request.writes.emplace_back();
  write.stream = stream;
  for (int i = 0; i < count; ++i) {
    eventstore::Envelope& e = write.events.emplace_back();
    e.set_type(i % 2 == 0 ? "test.Created" : "test.Changed");
    e.set_schema_version(1);
    e.set_actor("tester");
    e.set_source("testsvc");
    e.mutable_payload()->set_type_url("type.googleapis.com/test.Payload");
    e.mutable_payload()->set_value(absl::StrCat(stream, "#", i, tag));
  }
  return request;
}

// The projection's hash after folding the whole log of `store` once, in
// global order, straight into a fresh store: the reference state.
inline uint64_t CleanFoldHash(eventstore::EventStore& store) {
  auto kv = kv::NewInMemoryKvStore();
  TallyProjection projection;
  kv::Transaction txn(*kv);
  auto all = store.ReadAll(1, 10000000);
  if (!all.ok()) return 0;
  for (const auto& e : *all) {
    if (!projection.Apply(e, txn).ok()) return 0;
  }
  kv::WriteBatch prefixed;
  for (const auto& op : txn.batch().ops()) {
    prefixed.Put(ProjectionKeyPrefix(projection.name()) + op.key, op.value);
  }
  if (!kv->Write(prefixed, false).ok()) return 0;
  return ProjectionStateHash(*kv, projection.name()).value_or(0);
}

}  // namespace changeledger::bus::testing

#endif  // CHANGELEDGER_BUS_TESTS_TEST_PROJECTION_H_
