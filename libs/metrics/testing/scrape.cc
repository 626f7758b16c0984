#include "changeledger/metrics/scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace changeledger::metrics::testing {

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::UnavailableError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to port ", port));
  }
  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = write(fd, request.data() + sent, request.size() - sent);
    if (n <= 0) {
      close(fd);
      return absl::UnavailableError("write failed");
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      close(fd);
      return absl::UnavailableError("read failed");
    }
    if (n == 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) return absl::InternalError("no HTTP header");
  std::string status_line = response.substr(0, response.find("\r\n"));
  if (status_line.find(" 200 ") == std::string::npos) {
    return absl::InternalError(absl::StrCat("HTTP answer: ", status_line));
  }
  return response.substr(header_end + 4);
}

std::string SeriesKey(const std::string& name, const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return name;
  std::vector<std::string> parts;
  for (const auto& [key, value] : labels) parts.push_back(absl::StrCat(key, "=\"", value, "\""));
  return absl::StrCat(name, "{", absl::StrJoin(parts, ","), "}");
}

absl::StatusOr<std::map<std::string, double>> ParseExposition(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&] {
      return absl::InvalidArgumentError(absl::StrCat("line ", number, ": ", line));
    };
    size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos || name_end == 0) return bad();
    std::string name = line.substr(0, name_end);
    std::map<std::string, std::string> labels;
    size_t pos = name_end;
    if (line[pos] == '{') {
      ++pos;
      while (pos < line.size() && line[pos] != '}') {
        size_t eq = line.find('=', pos);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return bad();
        std::string key = line.substr(pos, eq - pos);
        std::string value;
        size_t i = eq + 2;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\' && i + 1 < line.size()) ++i;
          value.push_back(line[i]);
        }
        if (i >= line.size()) return bad();
        labels[key] = value;
        pos = i + 1;
        if (pos < line.size() && line[pos] == ',') ++pos;
      }
      if (pos >= line.size()) return bad();
      ++pos;  // '}'
    }
    std::istringstream rest(line.substr(pos));
    std::string value_text;
    if (!(rest >> value_text)) return bad();
    char* end = nullptr;
    double value = std::strtod(value_text.c_str(), &end);
    if (end == value_text.c_str() || *end != '\0') return bad();
    samples[SeriesKey(name, labels)] = value;
  }
  return samples;
}

std::optional<std::string> FindPromtool() {
  for (const char* candidate : {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
    if (access(candidate, X_OK) == 0) return std::string(candidate);
  }
  return std::nullopt;
}

absl::Status PromtoolCheck(const std::string& promtool, const std::string& text) {
  char path[] = "/tmp/changeledger-metrics-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return absl::InternalError("mkstemp failed");
  close(fd);
  {
    std::ofstream out(path);
    out << text;
  }
  std::string command = absl::StrCat(promtool, " check metrics < ", path, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    unlink(path);
    return absl::InternalError("popen failed");
  }
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  int rc = pclose(pipe);
  unlink(path);
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("promtool check metrics: ", output));
  }
  return absl::OkStatus();
}

}  // namespace changeledger::metrics::testing
