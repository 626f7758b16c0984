#include "domain/business_areas.h"

#include <utility>

namespace changeledger::intake::domain {
namespace {

v1::BusinessArea Area(const char* code, const char* name, const char* description) {
  v1::BusinessArea area;
  area.set_code(code);
  area.set_name(name);
  area.set_description(description);
  return area;
}

}  // namespace

BusinessAreaCatalog BusinessAreaCatalog::Default() {
  return BusinessAreaCatalog({
      Area("MO", "Met Operations",
           "Command and control, contact handling, forensics, intelligence"),
      Area("FP", "Frontline Policing",
           "Basic command units, response, neighbourhoods, local investigation"),
      Area("SO", "Specialist Operations", "Counter terrorism and protection"),
      Area("PS", "Professionalism",
           "Professional standards, training, leadership, continuous policing "
           "improvement"),
      Area("CS", "Corporate Services",
           "Digital Policing, finance, commercial, property, transformation"),
      Area("PEOPLE", "People Directorate", "HR, recruitment, workforce"),
      Area("DMC", "Directorate of Media and Communication",
           "Media, internal and public communication, engagement"),
      Area("DLS", "Directorate of Legal Services", "Legal advice and litigation"),
  });
}

BusinessAreaCatalog::BusinessAreaCatalog(std::vector<v1::BusinessArea> areas)
    : areas_(std::move(areas)) {}

bool BusinessAreaCatalog::Contains(absl::string_view code) const {
  for (const auto& area : areas_) {
    if (area.code() == code) return true;
  }
  return false;
}

}  // namespace changeledger::intake::domain
