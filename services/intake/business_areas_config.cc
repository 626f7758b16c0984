#include "business_areas_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace changeledger::intake {
namespace {

bool IsCode(const std::string& code) {
  if (code.empty() || code.size() > 16) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<domain::BusinessAreaCatalog> ParseBusinessAreas(const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("business areas: bad YAML: ", e.what()));
  }
  const YAML::Node list = root["business_areas"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    return absl::InvalidArgumentError("business_areas: a non-empty list is required");
  }
  std::vector<v1::BusinessArea> areas;
  std::set<std::string> codes;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    const std::string where = absl::StrCat("business_areas[", i, "]");
    if (!entry.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a map"));
    v1::BusinessArea area;
    try {
      if (entry["code"]) area.set_code(entry["code"].as<std::string>());
      if (entry["name"]) area.set_name(entry["name"].as<std::string>());
      if (entry["description"]) area.set_description(entry["description"].as<std::string>());
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", e.what()));
    }
    if (!IsCode(area.code())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".code: 1..16 characters of A-Z, 0-9, '_' or '-' required"));
    }
    if (!codes.insert(area.code()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".code: duplicate \"", area.code(), "\""));
    }
    if (area.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".name: required"));
    }
    areas.push_back(std::move(area));
  }
  return domain::BusinessAreaCatalog(std::move(areas));
}

absl::StatusOr<domain::BusinessAreaCatalog> LoadBusinessAreas(const std::string& path) {
  if (path.empty()) return domain::BusinessAreaCatalog::Default();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read business areas file ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseBusinessAreas(text.str());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace changeledger::intake
