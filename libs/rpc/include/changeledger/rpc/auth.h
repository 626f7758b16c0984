// Who is calling, and what they may call.
//
// Every call carries `authorization: Bearer <token>`. The Server looks the
// token up in a TokenTable (loaded from the tokens file) to find the
// principal and its roles, then checks the method's policy. A missing or
// unknown token is UNAUTHENTICATED; a principal without an allowed role is
// PERMISSION_DENIED; in both cases the service's handler never runs.
//
// Tokens file (YAML):
//   tokens:
//     - principal: alice            # the actor recorded on events
//       token: "long-random-string" # at least 16 characters, unique
//       roles: [proposer, owner]
//     - principal: portfolio-svc
//       token: "..."
//       roles: [service]
// Tokens are compared in constant time and never logged.
#ifndef CHANGELEDGER_RPC_AUTH_H_
#define CHANGELEDGER_RPC_AUTH_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace grpc {
class ServerContext;
}  // namespace grpc

namespace changeledger::rpc {

enum class Role {
  kProposer,
  kPanel,
  kPortfolioOffice,
  kOwner,
  kAuditor,
  kAdmin,
  kService,
};

// "proposer", "panel", "portfolio_office", "owner", "auditor", "admin", "service".
std::string_view RoleName(Role role);
// The inverse; INVALID_ARGUMENT for an unknown name.
absl::StatusOr<Role> ParseRole(std::string_view name);
// Every role, in declaration order.
const std::vector<Role>& AllRoles();

struct Principal {
  std::string name;
  std::set<Role> roles;

  bool HasRole(Role role) const { return roles.count(role) > 0; }
  bool HasAnyRole(const std::set<Role>& allowed) const;
};

// Which roles may call each method of one service, keyed by full method
// name "/package.Service/Method". Nothing is implicit: a method missing
// from the map is denied to everyone (fail closed), and `admin` is allowed
// only where it is listed. (The health and reflection services are open.)
using MethodPolicy = std::map<std::string, std::set<Role>>;

// The token -> principal table. Immutable once built; thread-safe.
class TokenTable {
 public:
  struct Entry {
    std::string token;
    Principal principal;
  };
  // Errors: INVALID_ARGUMENT naming the entry (by index and principal, never
  // by token) for an empty principal, a token shorter than 16 characters, a
  // duplicate token, an unknown role or an entry without roles.
  static absl::StatusOr<std::shared_ptr<const TokenTable>> FromEntries(
      std::vector<Entry> entries);
  // Parses the YAML format above.
  static absl::StatusOr<std::shared_ptr<const TokenTable>> FromYaml(std::string_view yaml);
  // Reads and parses a file; NOT_FOUND if it cannot be read.
  static absl::StatusOr<std::shared_ptr<const TokenTable>> FromFile(const std::string& path);

  // The principal whose token equals `token`, compared in constant time
  // against every entry; nullopt if none.
  std::optional<Principal> Authenticate(std::string_view token) const;
  // The same look-up without a copy: the entry's principal, valid as long
  // as the table; nullptr if none.
  const Principal* Find(std::string_view token) const;
  size_t size() const { return entries_.size(); }

 private:
  explicit TokenTable(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  std::vector<Entry> entries_;
};

// The authenticated principal of a call being handled by a service
// registered on rpc::Server; nullptr for calls the Server does not guard
// (health, reflection) or once the handler has returned. The pointer stays
// valid while the handler runs. Safe from any thread.
const Principal* GetPrincipal(const grpc::ServerContext* context);

// The deadline that applies to the call: the client's, or now + the
// server's default deadline when the client set none. Handlers that wait
// (streams in follow mode, long scans) should stop by then.
// nullopt for calls the Server does not guard.
std::optional<std::chrono::system_clock::time_point> EffectiveDeadline(
    const grpc::ServerContext* context);

}  // namespace changeledger::rpc

#endif  // CHANGELEDGER_RPC_AUTH_H_
