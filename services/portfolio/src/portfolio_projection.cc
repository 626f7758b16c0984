#include "changeledger/portfolio/portfolio_projection.h"

#include <string>

#include "changeledger/portfolio/fact_codec.h"

namespace changeledger::portfolio {

absl::Status PortfolioProjection::Apply(const bus::Envelope& event, kv::Transaction& txn) {
  // One fact per thread, reused: its strings keep their storage from one
  // event to the next.
  thread_local Fact f;
  auto carries = adapters_->DecodeInto(event, f);
  if (!carries.ok()) return carries.status();
  if (!*carries) return absl::OkStatus();
  auto applied = holder_->Write([](PortfolioModel& m) { return m.Apply(f); });
  if (!applied.ok()) return applied.status();
  // Stored even when the model had it already (a redelivery after a
  // failed commit): the key is the same, so the write is idempotent.
  txn.Put(FactKey(f), EncodeFact(f));
  facts_applied_.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PortfolioProjection::Load(kv::KvStore& store, ModelHolder& holder,
                                                   uint64_t* older_format) {
  if (older_format != nullptr) *older_format = 0;
  const std::string prefix = bus::ProjectionKeyPrefix(kName) + std::string(kFactKeyPrefix);
  uint64_t count = 0;
  absl::Status failure;
  auto status = kv::ScanPrefix(store, prefix, [&](std::string_view, std::string_view value) {
    if (older_format != nullptr && !IsCurrentFactFormat(value)) ++*older_format;
    auto fact = DecodeFact(value);
    if (!fact.ok()) {
      failure = fact.status();
      return false;
    }
    auto applied = holder.Write([&fact](PortfolioModel& m) { return m.Apply(*fact); });
    if (!applied.ok()) {
      failure = applied.status();
      return false;
    }
    ++count;
    return true;
  });
  if (!status.ok()) return status;
  if (!failure.ok()) return failure;
  return count;
}

}  // namespace changeledger::portfolio
