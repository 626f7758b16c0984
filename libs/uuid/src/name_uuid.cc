#include "changeledger/uuid/name_uuid.h"

#include <uuid/uuid.h>

#include <cstdlib>
#include <string>

namespace changeledger::uuid {

std::string NameUuid(std::string_view namespace_uuid, std::string_view name) {
  uuid_t ns;
  const std::string ns_text(namespace_uuid);
  if (uuid_parse(ns_text.c_str(), ns) != 0) std::abort();
  uuid_t id;
  uuid_generate_sha1(id, ns, name.data(), name.size());
  char text[37];
  uuid_unparse_lower(id, text);
  return std::string(text);
}

}  // namespace changeledger::uuid
