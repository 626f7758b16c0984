// Test helpers: fetch /metrics over HTTP, parse the text exposition, and
// run `promtool check metrics` on it. For tests only.
#ifndef CHANGELEDGER_METRICS_TESTING_SCRAPE_H_
#define CHANGELEDGER_METRICS_TESTING_SCRAPE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace changeledger::metrics::testing {

// GET http://127.0.0.1:<port><path> with HTTP/1.0; the body on status 200.
// Errors: UNAVAILABLE on connection failure, INTERNAL on a non-200 answer.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

// Samples of a text exposition keyed by the series as written, e.g.
// `changeledger_rpc_requests_total{code="OK",method="Echo",service="x"}`
// (labels sorted by name, so keys are canonical). Comment lines are
// skipped. INVALID_ARGUMENT naming the line for a malformed sample.
absl::StatusOr<std::map<std::string, double>> ParseExposition(const std::string& text);

// A canonical series key for lookups in ParseExposition's result.
std::string SeriesKey(const std::string& name, const std::map<std::string, std::string>& labels);

// The path of promtool, or nullopt when it is not installed.
std::optional<std::string> FindPromtool();

// Runs `promtool check metrics` on `text`. OK when it passes; otherwise
// INVALID_ARGUMENT with promtool's output.
absl::Status PromtoolCheck(const std::string& promtool, const std::string& text);

}  // namespace changeledger::metrics::testing

#endif  // CHANGELEDGER_METRICS_TESTING_SCRAPE_H_
