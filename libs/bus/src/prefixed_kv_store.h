// A KvStore view that prepends a fixed prefix to every key (the
// projection's namespace). Translate() turns a batch written through the
// view into one on the underlying store, so it can be merged with other
// writes into a single atomic batch.
#ifndef CHANGELEDGER_BUS_SRC_PREFIXED_KV_STORE_H_
#define CHANGELEDGER_BUS_SRC_PREFIXED_KV_STORE_H_

#include <string>
#include <utility>

#include "changeledger/kv/kv_store.h"

namespace changeledger::bus {

class PrefixedKvStore final : public kv::KvStore {
 public:
  // `prefix` must be non-empty and end in a byte below 0xff.
  PrefixedKvStore(kv::KvStore& base, std::string prefix)
      : base_(base), prefix_(std::move(prefix)) {
    prefix_end_ = prefix_;
    prefix_end_.back() = static_cast<char>(prefix_end_.back() + 1);
  }

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    return base_.Get(Key(key));
  }

  absl::Status Scan(std::string_view begin, std::string_view end,
                    const kv::ScanFn& fn) override {
    const std::string b = Key(begin);
    const std::string e = end.empty() ? prefix_end_ : Key(end);
    return base_.Scan(b, e, [&](std::string_view key, std::string_view value) {
      return fn(key.substr(prefix_.size()), value);
    });
  }

  absl::Status Write(const kv::WriteBatch& batch, bool sync) override {
    kv::WriteBatch translated;
    Translate(batch, translated);
    return base_.Write(translated, sync);
  }

  // Appends `batch`'s operations, with prefixed keys, to `out`.
  void Translate(const kv::WriteBatch& batch, kv::WriteBatch& out) const {
    for (const kv::WriteBatch::Op& op : batch.ops()) {
      switch (op.kind) {
        case kv::WriteBatch::Op::Kind::kPut:
          out.Put(Key(op.key), op.value);
          break;
        case kv::WriteBatch::Op::Kind::kDelete:
          out.Delete(Key(op.key));
          break;
        case kv::WriteBatch::Op::Kind::kDeleteRange:
          out.DeleteRange(Key(op.key), op.value.empty() ? prefix_end_ : Key(op.value));
          break;
      }
    }
  }

 private:
  std::string Key(std::string_view key) const { return prefix_ + std::string(key); }

  kv::KvStore& base_;
  std::string prefix_;
  std::string prefix_end_;
};

}  // namespace changeledger::bus

#endif  // CHANGELEDGER_BUS_SRC_PREFIXED_KV_STORE_H_
