#include "changeledger/bus/projection.h"

#include "fnv1a.h"

namespace changeledger::bus {

std::string ProjectionKeyPrefix(std::string_view name) {
  return "p/" + std::string(name) + "/";
}

std::string RunnerKeyPrefix(std::string_view name) {
  return "r/" + std::string(name) + "/";
}

absl::StatusOr<uint64_t> ProjectionStateHash(kv::KvStore& store, std::string_view name) {
  const std::string prefix = ProjectionKeyPrefix(name);
  Fnv1a64 hash;
  absl::Status status =
      kv::ScanPrefix(store, prefix, [&](std::string_view key, std::string_view value) {
        hash.AddLengthPrefixed(key.substr(prefix.size()));
        hash.AddLengthPrefixed(value);
        return true;
      });
  if (!status.ok()) return status;
  return hash.value();
}

namespace {
// End of the key range of every key starting with `prefix` ("p/x/" ->
// "p/x0"), valid because our prefixes end in '/'.
std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}
}  // namespace

absl::Status WipeProjection(kv::KvStore& store, std::string_view name) {
  kv::WriteBatch batch;
  const std::string p = ProjectionKeyPrefix(name);
  const std::string r = RunnerKeyPrefix(name);
  batch.DeleteRange(p, PrefixEnd(p));
  batch.DeleteRange(r, PrefixEnd(r));
  return store.Write(batch, /*sync=*/true);
}

}  // namespace changeledger::bus
