#include "changeledger/rpc/auth.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "call_registry.h"

namespace changeledger::rpc {
namespace {

constexpr size_t kMinTokenLength = 16;

struct RoleNameEntry {
  Role role;
  std::string_view name;
};
constexpr RoleNameEntry kRoleNames[] = {
    {Role::kProposer, "proposer"}, {Role::kPanel, "panel"},
    {Role::kPortfolioOffice, "portfolio_office"}, {Role::kOwner, "owner"},
    {Role::kAuditor, "auditor"}, {Role::kAdmin, "admin"},
    {Role::kService, "service"},
};

// Compares every byte whatever the contents, so the time taken does not
// tell how much of a guess was right (only whether the length matched).
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

std::string_view RoleName(Role role) {
  for (const auto& entry : kRoleNames) {
    if (entry.role == role) return entry.name;
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(std::string_view name) {
  for (const auto& entry : kRoleNames) {
    if (entry.name == name) return entry.role;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown role \"", std::string(name), "\""));
}

const std::vector<Role>& AllRoles() {
  static const std::vector<Role> roles = [] {
    std::vector<Role> all;
    for (const auto& entry : kRoleNames) all.push_back(entry.role);
    return all;
  }();
  return roles;
}

bool Principal::HasAnyRole(const std::set<Role>& allowed) const {
  for (Role role : roles) {
    if (allowed.count(role) > 0) return true;
  }
  return false;
}

absl::StatusOr<std::shared_ptr<const TokenTable>> TokenTable::FromEntries(
    std::vector<Entry> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& entry = entries[i];
    std::string where = absl::StrCat("token entry ", i, " (principal \"",
                                     entry.principal.name, "\")");
    if (entry.principal.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("token entry ", i, ": empty principal"));
    }
    if (entry.token.size() < kMinTokenLength) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": token shorter than ", kMinTokenLength, " characters"));
    }
    if (entry.principal.roles.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": no roles"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (entries[j].token == entry.token) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": same token as entry ", j));
      }
    }
  }
  return std::shared_ptr<const TokenTable>(new TokenTable(std::move(entries)));
}

absl::StatusOr<std::shared_ptr<const TokenTable>> TokenTable::FromYaml(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    // The message holds a position, never file contents.
    return absl::InvalidArgumentError(absl::StrCat("tokens file: ", e.what()));
  }
  if (!root.IsMap() || !root["tokens"] || !root["tokens"].IsSequence()) {
    return absl::InvalidArgumentError("tokens file: expected a map with a list `tokens`");
  }
  std::vector<Entry> entries;
  size_t index = 0;
  for (const auto& node : root["tokens"]) {
    if (!node.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat("token entry ", index, ": expected a map"));
    }
    Entry entry;
    try {
      if (node["principal"]) entry.principal.name = node["principal"].as<std::string>();
      if (node["token"]) entry.token = node["token"].as<std::string>();
      if (node["roles"]) {
        if (!node["roles"].IsSequence()) {
          return absl::InvalidArgumentError(
              absl::StrCat("token entry ", index, ": roles must be a list"));
        }
        for (const auto& role_node : node["roles"]) {
          std::string name = role_node.as<std::string>();
          auto role = ParseRole(name);
          if (!role.ok()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "token entry ", index, " (principal \"", entry.principal.name, "\"): ",
                role.status().message()));
          }
          entry.principal.roles.insert(*role);
        }
      }
    } catch (const YAML::Exception&) {
      return absl::InvalidArgumentError(
          absl::StrCat("token entry ", index, ": principal, token and roles must be strings"));
    }
    for (const auto& field : node) {
      std::string key = field.first.as<std::string>();
      if (key != "principal" && key != "token" && key != "roles") {
        return absl::InvalidArgumentError(
            absl::StrCat("token entry ", index, ": unknown field ", key));
      }
    }
    entries.push_back(std::move(entry));
    ++index;
  }
  return FromEntries(std::move(entries));
}

absl::StatusOr<std::shared_ptr<const TokenTable>> TokenTable::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  auto table = FromYaml(text.str());
  if (!table.ok()) {
    return absl::Status(table.status().code(),
                        absl::StrCat(path, ": ", table.status().message()));
  }
  return table;
}

const Principal* TokenTable::Find(std::string_view token) const {
  const Entry* found = nullptr;
  for (const Entry& entry : entries_) {
    // No early exit: every entry is compared.
    if (ConstantTimeEquals(entry.token, token)) found = &entry;
  }
  return found == nullptr ? nullptr : &found->principal;
}

std::optional<Principal> TokenTable::Authenticate(std::string_view token) const {
  const Principal* principal = Find(token);
  if (principal == nullptr) return std::nullopt;
  return *principal;
}

const Principal* GetPrincipal(const grpc::ServerContext* context) {
  const internal::CallRecord* record = internal::CallRegistry::Find(context);
  return record == nullptr ? nullptr : record->principal;
}

std::optional<std::chrono::system_clock::time_point> EffectiveDeadline(
    const grpc::ServerContext* context) {
  const internal::CallRecord* record = internal::CallRegistry::Find(context);
  if (record == nullptr) return std::nullopt;
  return record->deadline;
}

}  // namespace changeledger::rpc
