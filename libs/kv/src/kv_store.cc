#include "changeledger/kv/kv_store.h"

#include <utility>

namespace changeledger::kv {

void WriteBatch::Put(std::string_view key, std::string_view value) {
  ops_.push_back(Op{Op::Kind::kPut, std::string(key), std::string(value)});
}

void WriteBatch::PutOwned(std::string key, std::string value) {
  ops_.push_back(Op{Op::Kind::kPut, std::move(key), std::move(value)});
}

void WriteBatch::Delete(std::string_view key) {
  ops_.push_back(Op{Op::Kind::kDelete, std::string(key), std::string()});
}

void WriteBatch::DeleteRange(std::string_view begin, std::string_view end) {
  ops_.push_back(Op{Op::Kind::kDeleteRange, std::string(begin), std::string(end)});
}

absl::Status ScanPrefix(KvStore& store, std::string_view prefix, const ScanFn& fn) {
  // The smallest key greater than every key with `prefix`: drop trailing
  // 0xff bytes and increment the last one. An all-0xff prefix has no
  // bound: scan to the end and stop at the first key outside it.
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return store.Scan(prefix, end, [&](std::string_view key, std::string_view value) {
    if (key.substr(0, prefix.size()) != prefix) return false;
    return fn(key, value);
  });
}

void Transaction::IndexPending() {
  if (eager_) return;
  const std::vector<WriteBatch::Op>& ops = batch_.ops();
  for (; indexed_ < ops.size(); ++indexed_) {
    const WriteBatch::Op& op = ops[indexed_];
    // Only Put and Delete reach the batch before it is handed out.
    if (op.kind == WriteBatch::Op::Kind::kPut) {
      pending_.insert_or_assign(op.key, std::optional<std::string>(op.value));
    } else {
      pending_.insert_or_assign(op.key, std::nullopt);
    }
  }
}

absl::StatusOr<std::optional<std::string>> Transaction::Get(std::string_view key) {
  IndexPending();
  auto it = pending_.find(key);
  if (it != pending_.end()) return it->second;
  return store_.Get(key);
}

void Transaction::Put(std::string_view key, std::string_view value) {
  batch_.Put(key, value);
  if (eager_) pending_.insert_or_assign(std::string(key), std::optional<std::string>(value));
}

void Transaction::PutOwned(std::string key, std::string value) {
  if (eager_) pending_.insert_or_assign(key, std::optional<std::string>(value));
  batch_.Put(std::move(key), std::move(value));
}

void Transaction::Delete(std::string_view key) {
  batch_.Delete(key);
  if (eager_) pending_.insert_or_assign(std::string(key), std::nullopt);
}

WriteBatch& Transaction::batch() {
  IndexPending();
  eager_ = true;
  return batch_;
}

absl::Status Transaction::Scan(std::string_view begin, std::string_view end,
                               const ScanFn& fn) {
  IndexPending();
  auto it = pending_.lower_bound(begin);
  auto in_range = [&](const std::string& key) { return end.empty() || key < end; };
  bool stopped = false;
  // Emits pending entries with key < `limit` (or all when limit is null).
  auto drain_pending = [&](const std::string_view* limit) {
    while (!stopped && it != pending_.end() && in_range(it->first) &&
           (limit == nullptr || it->first < *limit)) {
      if (it->second.has_value() && !fn(it->first, *it->second)) stopped = true;
      ++it;
    }
  };
  absl::Status status = store_.Scan(begin, end, [&](std::string_view key,
                                                    std::string_view value) {
    drain_pending(&key);
    if (stopped) return false;
    if (it != pending_.end() && it->first == key) {
      // The pending write replaces the stored value (or hides it).
      if (it->second.has_value() && !fn(it->first, *it->second)) stopped = true;
      ++it;
      return !stopped;
    }
    if (!fn(key, value)) stopped = true;
    return !stopped;
  });
  if (!status.ok()) return status;
  drain_pending(nullptr);
  return absl::OkStatus();
}

absl::Status Transaction::Commit(bool sync) {
  if (batch_.empty()) return absl::OkStatus();
  absl::Status status = store_.Write(batch_, sync);
  if (!status.ok()) return status;
  batch_.Clear();
  pending_.clear();
  indexed_ = 0;
  return absl::OkStatus();
}

}  // namespace changeledger::kv
