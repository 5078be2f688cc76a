#include "testing/pki.h"

#include <fstream>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/status_macros.h"
#include "testing/process.h"

namespace plasmanet::testing {
namespace {

absl::Status Openssl(const std::vector<std::string>& args) {
  PN_ASSIGN_OR_RETURN(ProcessResult result, RunProgram("openssl", args, absl::Seconds(30)));
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("openssl ", absl::StrJoin(args, " "), " exited with ",
                                            result.exit_code, ": ", result.stderr_text));
  }
  return absl::OkStatus();
}

absl::Status GenerateKey(const std::string& path) {
  return Openssl({"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path});
}

// Makes <dir>/<name>.key and <dir>/<name>.pem, signed by the CA in `dir`. The certificate
// names 127.0.0.1 and localhost as subject alternative names: gRPC (the etcd tests) checks the
// address it dialled against them, while OVS ignores them.
absl::StatusOr<SslFiles> IssueCertificate(const std::string& dir, const std::string& name) {
  const std::string key = absl::StrCat(dir, "/", name, ".key");
  const std::string csr = absl::StrCat(dir, "/", name, ".csr");
  const std::string pem = absl::StrCat(dir, "/", name, ".pem");
  PN_RETURN_IF_ERROR(GenerateKey(key));
  PN_RETURN_IF_ERROR(Openssl({"req", "-new", "-key", key, "-subj",
                              absl::StrCat("/CN=plasmanet-test-", name), "-out", csr}));
  const std::string extensions = absl::StrCat(dir, "/", name, ".ext");
  std::ofstream(extensions) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  PN_RETURN_IF_ERROR(
      Openssl({"x509", "-req", "-in", csr, "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key",
               "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", pem}));
  return SslFiles{.private_key = key, .certificate = pem, .ca_cert = dir + "/ca.pem"};
}

}  // namespace

absl::StatusOr<TestPki> GenerateTestPki(absl::string_view dir_view) {
  const std::string dir(dir_view);
  PN_RETURN_IF_ERROR(GenerateKey(dir + "/ca.key"));
  PN_RETURN_IF_ERROR(Openssl({"req", "-x509", "-new", "-key", dir + "/ca.key", "-subj",
                              "/CN=plasmanet-test-ca", "-days", "2", "-out", dir + "/ca.pem"}));
  PN_ASSIGN_OR_RETURN(SslFiles server, IssueCertificate(dir, "server"));
  PN_ASSIGN_OR_RETURN(SslFiles client, IssueCertificate(dir, "client"));
  return TestPki{.server = std::move(server), .client = std::move(client)};
}

}  // namespace plasmanet::testing
