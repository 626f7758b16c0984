// PortfolioServiceImpl: the gRPC face of the portfolio view. It validates
// requests, answers reads from the ModelHolder and hands rebuilds to a
// ViewControl (the server's runners). Authorisation is rpc::Server's job
// (see PortfolioMethodPolicy).
#ifndef CHANGELEDGER_PORTFOLIO_PORTFOLIO_SERVICE_H_
#define CHANGELEDGER_PORTFOLIO_PORTFOLIO_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/portfolio/portfolio_projection.h"
#include "changeledger/portfolio/v1/portfolio.grpc.pb.h"
#include "changeledger/rpc/auth.h"

namespace changeledger::portfolio {

namespace pb = ::changeledger::portfolio::v1;

struct RebuildInfo {
  bool rebuilding = false;
  pb::RebuildSource source = pb::REBUILD_SOURCE_UNSPECIFIED;
  uint64_t events_applied = 0;
  uint64_t events_total = 0;  // applied + behind (an estimate while running)
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;
};

// Whether events_total is worth showing: false while rebuilding until a
// source has reported how far behind it is.
bool RebuildTotalKnown(const RebuildInfo& info);
// "the view is rebuilding (n of m events)", or "(n events so far; the
// total is not known yet)".
std::string RebuildingMessage(const RebuildInfo& info);
// Why a second rebuild is refused: "a rebuild from KAFKA started
// <RFC 3339> is running (...): wait for it ...".
std::string RebuildRunningMessage(const RebuildInfo& info);

// What the service needs from whoever feeds the view.
class ViewControl {
 public:
  virtual ~ViewControl() = default;
  // Drops the view and starts rebuilding it from `source`.
  // Errors: FAILED_PRECONDITION (source not configured; a rebuild is
  // running: RebuildRunningMessage), UNAVAILABLE.
  virtual absl::Status Rebuild(pb::RebuildSource source) = 0;
  virtual RebuildInfo GetRebuildInfo() const = 0;
  // ProjectionStateHash of the stored facts.
  virtual absl::StatusOr<uint64_t> StoreHash() = 0;
};

// Roles per method: every role reads; Rebuild is for admin and
// portfolio_office.
rpc::MethodPolicy PortfolioMethodPolicy();

class PortfolioServiceImpl final : public pb::PortfolioService::Service {
 public:
  // Not owned; must outlive the service.
  PortfolioServiceImpl(ModelHolder* holder, ViewControl* control)
      : holder_(holder), control_(control) {}

  grpc::Status GetBaseline(grpc::ServerContext* context, const pb::GetBaselineRequest* request,
                           pb::Baseline* response) override;
  grpc::Status DiffBaseline(grpc::ServerContext* context, const pb::DiffBaselineRequest* request,
                            pb::BaselineDiff* response) override;
  grpc::Status GetProvenance(grpc::ServerContext* context, const pb::GetProvenanceRequest* request,
                             pb::Provenance* response) override;
  grpc::Status GetChangeHistory(grpc::ServerContext* context,
                                const pb::GetChangeHistoryRequest* request,
                                pb::ChangeHistory* response) override;
  grpc::Status GetOverlaps(grpc::ServerContext* context, const pb::GetOverlapsRequest* request,
                           pb::Overlaps* response) override;
  grpc::Status ListFrontDoorActivity(grpc::ServerContext* context,
                                     const pb::ListFrontDoorActivityRequest* request,
                                     pb::FrontDoorActivity* response) override;
  grpc::Status Rebuild(grpc::ServerContext* context, const pb::RebuildRequest* request,
                       pb::RebuildStatus* response) override;
  grpc::Status GetRebuildStatus(grpc::ServerContext* context,
                                const pb::GetRebuildStatusRequest* request,
                                pb::RebuildStatus* response) override;
  grpc::Status GetStateHash(grpc::ServerContext* context, const pb::GetStateHashRequest* request,
                            pb::StateHash* response) override;

 private:
  absl::Status Available() const;

  ModelHolder* holder_;
  ViewControl* control_;
};

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_PORTFOLIO_SERVICE_H_
