// Remote: where an OVSDB server listens, in the syntax every OVS/OVN tool uses
// ("unix:/run/ovn/ovnnb_db.sock", "tcp:10.0.0.5:6641", "ssl:[fd00::5]:6641"), and the
// comma-separated lists that name the members of a clustered database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

namespace plasmanet::ovsdb {

struct Remote {
  enum class Kind { kUnix, kTcp, kSsl };
  Kind kind = Kind::kUnix;
  std::string path;  // kUnix
  std::string host;  // kTcp, kSsl: a name, IPv4 or IPv6 literal (without brackets)
  uint16_t port = 0;

  std::string ToString() const;  // the original syntax
};

// INVALID_ARGUMENT naming the bad entry. Ports are required for tcp and ssl (OVN's defaults
// differ between NB and SB, so guessing would be wrong half the time).
absl::StatusOr<Remote> ParseRemote(absl::string_view text);
// "a,b,c" -> three remotes; empty entries are refused.
absl::StatusOr<std::vector<Remote>> ParseRemoteList(absl::string_view text);

}  // namespace plasmanet::ovsdb
