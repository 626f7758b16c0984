#include "status_from_rocks.h"

#include <string>

namespace changeledger::kv::internal {

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsInvalidArgument()) {
    // RocksDB reports "exists (error_if_exists is true)" and "does not
    // exist (create_if_missing is false)" as InvalidArgument.
    if (message.find("exists (error_if_exists") != std::string::npos) {
      return absl::AlreadyExistsError(message);
    }
    if (message.find("does not exist") != std::string::npos) {
      return absl::NotFoundError(message);
    }
    return absl::InvalidArgumentError(message);
  }
  // A full disk is an IOError with the NoSpace subcode: told apart so that
  // operators and callers see RESOURCE_EXHAUSTED, as from the event store.
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

}  // namespace changeledger::kv::internal
