// ovn-nbctl against a test database: the reference client that checks what PlasmaNET wrote,
// and writes fixtures PlasmaNET must then read.
//
//   PN_ASSIGN_OR_RETURN(std::string out, RunNbctl(server.unix_remote(), {"ls-list"}));
//   RunNbctl(cluster.remotes(), {"ls-add", "sw0"});
//   RunNbctl(server.ssl_remote(), {"ls-list"}, {.ssl = server.client_ssl()});
//
// Thread-safe: each call is one ovn-nbctl process.
#pragma once

#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

#include "testing/pki.h"

namespace plasmanet::testing {

struct NbctlOptions {
  // By default any cluster member may answer (--no-leader-only), so reads work through a
  // follower and during an election; writes are forwarded to the leader by the member either
  // way. Set to true to insist on the leader, as ovn-nbctl does by default.
  bool leader_only = false;
  // Key, certificate and CA for ssl: remotes; required when the remote starts with "ssl:".
  SslFiles ssl;
  // ovn-nbctl's own --timeout; the process is killed a few seconds after it as a backstop.
  absl::Duration timeout = absl::Seconds(10);
};

// Runs `ovn-nbctl --db=<remote> [flags] <args...>` and returns its stdout. `remote` may be a
// comma-separated list. Errors: kInvalidArgument for an ssl: remote without options.ssl,
// kUnknown with ovn-nbctl's exit code and stderr if it exits non-zero, kDeadlineExceeded if
// it hangs, kNotFound if ovn-nbctl is not installed.
absl::StatusOr<std::string> RunNbctl(absl::string_view remote, std::vector<std::string> args,
                                     const NbctlOptions& options = {});

}  // namespace plasmanet::testing
