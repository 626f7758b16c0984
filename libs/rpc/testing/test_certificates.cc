#include "changeledger/rpc/test_certificates.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "changeledger/errors/status_macros.h"

namespace changeledger::rpc::testing {
namespace {

absl::Status Run(const std::filesystem::path& dir, const std::string& command) {
  const std::string full =
      absl::StrCat("cd '", dir.string(), "' && ", command, " >/dev/null 2>&1");
  if (std::system(full.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("failed in ", dir.string(), ": ", command));
  }
  return absl::OkStatus();
}

constexpr char kNewEcKey[] = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

}  // namespace

bool HaveOpensslCli() { return std::system("command -v openssl >/dev/null 2>&1") == 0; }

absl::Status MakeCa(const std::filesystem::path& dir, const std::string& name) {
  return Run(dir, absl::StrCat("openssl req -x509 ", kNewEcKey, " -days 2 -subj /CN=",
                               name, " -keyout ", name, ".key -out ", name, ".pem"));
}

absl::Status MakeCert(const std::filesystem::path& dir, const std::string& ca,
                      const std::string& name, const std::string& common_name,
                      const std::string& extension) {
  const std::filesystem::path ext = dir / (name + ".ext");
  if (!(std::ofstream(ext) << extension << "\n")) {
    return absl::InternalError(absl::StrCat("cannot write ", ext.string()));
  }
  CL_RETURN_IF_ERROR(
      Run(dir, absl::StrCat("openssl req ", kNewEcKey, " -subj /CN=", common_name,
                            " -keyout ", name, ".key -out ", name, ".csr")));
  return Run(
      dir, absl::StrCat("openssl x509 -req -in ", name, ".csr -CA ", ca, ".pem -CAkey ",
                        ca, ".key -CAcreateserial -days 2 -extfile ", name, ".ext -out ",
                        name, ".pem"));
}

absl::Status MakeServerAndClientCertificates(const std::filesystem::path& dir) {
  CL_RETURN_IF_ERROR(MakeCa(dir, "ca"));
  CL_RETURN_IF_ERROR(MakeCert(dir, "ca", "server", "localhost",
                              "subjectAltName=DNS:localhost,IP:127.0.0.1"));
  return MakeCert(dir, "ca", "client", "alice-client", "extendedKeyUsage=clientAuth");
}

}  // namespace changeledger::rpc::testing
