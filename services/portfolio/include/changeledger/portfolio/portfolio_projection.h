// PortfolioProjection: the portfolio's bus::Projection. Each event the
// runner hands over is decoded by the adapter registry into a fact; the
// fact is stored (FactKey -> EncodeFact) through the runner's transaction,
// so it is committed together with the consumed positions, and folded into
// the in-memory PortfolioModel that answers queries.
//
// Thread safety: Apply may be called from several runners at once (one
// per log reader); the model's lock serialises them.
//
// At start, Load() folds every stored fact into the model again: the
// RocksDB store is the durable state, the model its index in memory.
#ifndef CHANGELEDGER_PORTFOLIO_PORTFOLIO_PROJECTION_H_
#define CHANGELEDGER_PORTFOLIO_PORTFOLIO_PROJECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>

#include "absl/status/status.h"
#include "changeledger/bus/projection.h"
#include "changeledger/kv/kv_store.h"
#include "changeledger/portfolio/adapters.h"
#include "changeledger/portfolio/portfolio_model.h"

namespace changeledger::portfolio {

// The model plus the lock that guards it: queries take it shared, the
// projection exclusive (one event at a time, so queries interleave).
class ModelHolder {
 public:
  ModelHolder() : model_(std::make_unique<PortfolioModel>()) {}

  // Runs `fn(const PortfolioModel&)` under the shared lock.
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(static_cast<const PortfolioModel&>(*model_));
  }
  // Runs `fn(PortfolioModel&)` under the exclusive lock.
  template <typename Fn>
  auto Write(Fn&& fn) {
    std::unique_lock lock(mu_);
    return fn(*model_);
  }
  // Replaces the model with an empty one.
  void Reset() {
    auto fresh = std::make_unique<PortfolioModel>();
    std::unique_lock lock(mu_);
    model_.swap(fresh);
  }

 private:
  mutable std::shared_mutex mu_;
  std::unique_ptr<PortfolioModel> model_;
};

class PortfolioProjection final : public bus::Projection {
 public:
  static constexpr const char* kName = "portfolio";

  // `adapters` and `holder` are not owned and must outlive the projection.
  PortfolioProjection(const AdapterRegistry* adapters, ModelHolder* holder)
      : adapters_(adapters), holder_(holder) {}

  std::string name() const override { return kName; }

  // Errors: DATA_LOSS (a registered event type whose payload does not
  // parse), INVALID_ARGUMENT (a fact the model rejects). Events of other
  // types are skipped (OK).
  absl::Status Apply(const bus::Envelope& event, kv::Transaction& txn) override;

  // Folds every fact stored under the projection's prefix in `store` into
  // the holder's model (which should be empty). Returns the number of facts;
  // `older_format` (optional) receives how many were stored in an earlier
  // format (see fact_codec.h: they lack what that format did not keep).
  // Errors: DATA_LOSS (a stored fact does not decode), store errors.
  static absl::StatusOr<uint64_t> Load(kv::KvStore& store, ModelHolder& holder,
                                       uint64_t* older_format = nullptr);

  uint64_t facts_applied() const { return facts_applied_.load(std::memory_order_relaxed); }

 private:
  const AdapterRegistry* adapters_;
  ModelHolder* holder_;
  std::atomic<uint64_t> facts_applied_{0};
};

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_PORTFOLIO_PROJECTION_H_
