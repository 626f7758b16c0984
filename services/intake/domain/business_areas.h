// BusinessAreaCatalog: the reference data of business areas (chief officer
// groups) a change may belong to. Pure data; loading it from YAML lives in
// the service (config.h).
#ifndef CHANGELEDGER_SERVICES_INTAKE_DOMAIN_BUSINESS_AREAS_H_
#define CHANGELEDGER_SERVICES_INTAKE_DOMAIN_BUSINESS_AREAS_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "changeledger/intake/v1/intake.pb.h"

namespace changeledger::intake::domain {

class BusinessAreaCatalog {
 public:
  // The default list: the business groups of the 2021 "Transforming the
  // Met" paper. Operators replace it with a YAML file (config.h).
  static BusinessAreaCatalog Default();

  BusinessAreaCatalog() = default;
  explicit BusinessAreaCatalog(std::vector<v1::BusinessArea> areas);

  bool Contains(absl::string_view code) const;
  const std::vector<v1::BusinessArea>& areas() const { return areas_; }

 private:
  std::vector<v1::BusinessArea> areas_;
};

}  // namespace changeledger::intake::domain

#endif  // CHANGELEDGER_SERVICES_INTAKE_DOMAIN_BUSINESS_AREAS_H_
