#include "ids.h"

#include "absl/strings/str_cat.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/uuid/name_uuid.h"
#include "changeledger/uuid/time_ordered_uuid.h"

namespace changeledger::intake {
namespace {

// Namespace of intake's name-based ids (a fixed random UUID).
constexpr char kNamespace[] = "5b0f5c3e-3d2a-4a8e-9d61-0c6f5e1b7a42";

}  // namespace

std::string NewUuid() { return uuid::TimeOrderedUuid(); }

std::string NameUuid(absl::string_view name) {
  return uuid::NameUuid(kNamespace, std::string_view(name.data(), name.size()));
}

std::string ImportedChangeId(absl::string_view return_reference,
                             absl::string_view record_reference) {
  // Lengths first, so ("a|b", "c") and ("a", "b|c") differ.
  return NameUuid(absl::StrCat("return:", return_reference.size(), ":", return_reference, ":",
                               record_reference));
}

std::string IdempotencyKey(absl::string_view principal, absl::string_view method,
                           absl::string_view resource, absl::string_view request_id) {
  // Lengths before principal and resource keep the parts apart; methods
  // hold no ':'.
  std::string key =
      resource.empty()
          ? absl::StrCat("intake:", principal.size(), ":", principal, ":", method, ":",
                         request_id)
          : absl::StrCat("intake:", principal.size(), ":", principal, ":", method, ":",
                         resource.size(), ":", resource, ":", request_id);
  if (key.size() > eventstore::kMaxRequestIdBytes) {
    key = absl::StrCat("intake-hashed:", NameUuid(key));
  }
  return key;
}

}  // namespace changeledger::intake
