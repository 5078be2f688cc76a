// A throwaway public-key infrastructure for SSL tests: one CA, and a server and a client
// certificate it signed, made with the openssl command-line tool.
//
//   PN_ASSIGN_OR_RETURN(TestPki pki, GenerateTestPki(dir));
//   ovsdb-server ... --private-key=pki.server.private_key ...
//   RunNbctl("ssl:127.0.0.1:6641", {"ls-list"}, {.ssl = pki.client});
//
// Keys are EC P-256, which is quick to generate and accepted by OVS's OpenSSL streams.
// Certificates are valid for two days. Thread-safe as long as callers use different dirs.
#pragma once

#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

namespace plasmanet::testing {

// The three files an OVS SSL endpoint is configured with: its own key and certificate, and
// the CA certificate it checks its peer against.
struct SslFiles {
  std::string private_key;
  std::string certificate;
  std::string ca_cert;

  bool empty() const { return private_key.empty(); }
};

struct TestPki {
  SslFiles server;
  SslFiles client;
};

// Writes ca.key, ca.pem, server.key, server.pem, client.key and client.pem into `dir` (which
// must exist). kInternal with openssl's stderr if a command fails; kNotFound if openssl is
// not installed.
absl::StatusOr<TestPki> GenerateTestPki(absl::string_view dir);

}  // namespace plasmanet::testing
