#include "changeledger/kv/in_memory_kv_store.h"

#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace changeledger::kv {
namespace {

class InMemoryKvStore final : public KvStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  absl::Status Scan(std::string_view begin, std::string_view end,
                    const ScanFn& fn) override {
    std::vector<std::pair<std::string, std::string>> snapshot;
    {
      std::lock_guard lock(mu_);
      auto first = data_.lower_bound(begin);
      auto last = end.empty() ? data_.end() : data_.lower_bound(end);
      for (auto it = first; it != last; ++it) snapshot.emplace_back(*it);
    }
    for (const auto& [key, value] : snapshot) {
      if (!fn(key, value)) break;
    }
    return absl::OkStatus();
  }

  absl::Status Write(const WriteBatch& batch, bool /*sync*/) override {
    std::lock_guard lock(mu_);
    for (const WriteBatch::Op& op : batch.ops()) {
      switch (op.kind) {
        case WriteBatch::Op::Kind::kPut:
          data_.insert_or_assign(op.key, op.value);
          break;
        case WriteBatch::Op::Kind::kDelete:
          data_.erase(op.key);
          break;
        case WriteBatch::Op::Kind::kDeleteRange:
          if (op.key < op.value) {
            data_.erase(data_.lower_bound(op.key), data_.lower_bound(op.value));
          }
          break;
      }
    }
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string, std::less<>> data_;
};

}  // namespace

std::unique_ptr<KvStore> NewInMemoryKvStore() {
  return std::make_unique<InMemoryKvStore>();
}

}  // namespace changeledger::kv
