// For tests of TLS and mutual TLS, in any module: certificates made by the
// openssl CLI at test time (EC P-256, valid for two days), so that none is
// kept in the repository or expires there.
//
//   if (!rpc::testing::HaveOpensslCli()) GTEST_SKIP() << "openssl CLI not installed";
//   ASSERT_TRUE(rpc::testing::MakeServerAndClientCertificates(dir).ok());
//   // dir/ca.pem, dir/server.pem + .key, dir/client.pem + .key
#ifndef CHANGELEDGER_RPC_TESTING_TEST_CERTIFICATES_H_
#define CHANGELEDGER_RPC_TESTING_TEST_CERTIFICATES_H_

#include <filesystem>
#include <string>

#include "absl/status/status.h"

namespace changeledger::rpc::testing {

// Whether the openssl CLI is on PATH.
bool HaveOpensslCli();

// A self-signed CA in `dir`: <name>.pem and <name>.key (mode 0600, as
// openssl writes keys).
absl::Status MakeCa(const std::filesystem::path& dir, const std::string& name);

// A certificate <name>.pem with its key <name>.key in `dir`, for the
// subject CN `common_name`, signed by the CA <ca>.pem/<ca>.key of `dir`,
// with `extension` (one x509v3 line, e.g. "extendedKeyUsage=clientAuth" or
// "subjectAltName=DNS:localhost,IP:127.0.0.1").
absl::Status MakeCert(const std::filesystem::path& dir, const std::string& ca,
                      const std::string& name, const std::string& common_name,
                      const std::string& extension);

// What a test of mutual TLS on loopback needs, in `dir`: the CA "ca"; the
// server certificate "server" for localhost and 127.0.0.1 (so a client
// dialing 127.0.0.1 needs no name override); the client certificate
// "client" (CN alice-client, clientAuth) that CA signed.
absl::Status MakeServerAndClientCertificates(const std::filesystem::path& dir);

}  // namespace changeledger::rpc::testing

#endif  // CHANGELEDGER_RPC_TESTING_TEST_CERTIFICATES_H_
