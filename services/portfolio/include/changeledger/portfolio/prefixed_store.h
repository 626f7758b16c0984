// PrefixedStore: a KvStore view of the keys under a prefix, as a
// ProjectionRunner presents its projection's key space ("p/<name>/").
// For the benchmark and the tests, which apply the projection without a
// runner but must store keys where the runner would.
#ifndef CHANGELEDGER_PORTFOLIO_PREFIXED_STORE_H_
#define CHANGELEDGER_PORTFOLIO_PREFIXED_STORE_H_

#include <string>
#include <string_view>

#include "changeledger/kv/kv_store.h"

namespace changeledger::portfolio {

class PrefixedStore final : public kv::KvStore {
 public:
  // `base` is not owned. `prefix` must be non-empty and end in '/'.
  PrefixedStore(kv::KvStore& base, std::string prefix) : base_(base), prefix_(std::move(prefix)) {}

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    return base_.Get(prefix_ + std::string(key));
  }
  absl::Status Scan(std::string_view begin, std::string_view end, const kv::ScanFn& fn) override {
    std::string upper = prefix_;
    if (end.empty()) {
      upper.back() = static_cast<char>(upper.back() + 1);
    } else {
      upper.append(end);
    }
    return base_.Scan(prefix_ + std::string(begin), upper,
                      [&](std::string_view k, std::string_view v) { return fn(k.substr(prefix_.size()), v); });
  }
  absl::Status Write(const kv::WriteBatch& batch, bool sync) override {
    kv::WriteBatch out;
    for (const auto& op : batch.ops()) {
      switch (op.kind) {
        case kv::WriteBatch::Op::Kind::kPut: out.Put(prefix_ + op.key, op.value); break;
        case kv::WriteBatch::Op::Kind::kDelete: out.Delete(prefix_ + op.key); break;
        case kv::WriteBatch::Op::Kind::kDeleteRange:
          out.DeleteRange(prefix_ + op.key, prefix_ + op.value);
          break;
      }
    }
    return base_.Write(out, sync);
  }

 private:
  kv::KvStore& base_;
  std::string prefix_;
};

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_PREFIXED_STORE_H_
