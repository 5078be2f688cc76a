#include "ovsdb/remote.h"

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

namespace plasmanet::ovsdb {
namespace {

absl::Status BadRemote(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("OVSDB remote \"", text, "\": ", why,
                   " (expected unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT)"));
}

}  // namespace

std::string Remote::ToString() const {
  switch (kind) {
    case Kind::kUnix:
      return absl::StrCat("unix:", path);
    case Kind::kTcp:
    case Kind::kSsl: {
      const bool v6 = host.find(':') != std::string::npos;
      return absl::StrCat(kind == Kind::kTcp ? "tcp:" : "ssl:", v6 ? "[" : "", host, v6 ? "]" : "",
                          ":", port);
    }
  }
  return "";
}

absl::StatusOr<Remote> ParseRemote(absl::string_view text) {
  Remote remote;
  absl::string_view rest = text;  // ConsumePrefix changes it only when the prefix matches
  if (absl::ConsumePrefix(&rest, "unix:")) {
    if (rest.empty()) return BadRemote(text, "empty socket path");
    remote.kind = Remote::Kind::kUnix;
    remote.path = std::string(rest);
    return remote;
  }
  if (absl::ConsumePrefix(&rest, "tcp:")) {
    remote.kind = Remote::Kind::kTcp;
  } else if (absl::ConsumePrefix(&rest, "ssl:")) {
    remote.kind = Remote::Kind::kSsl;
  } else {
    return BadRemote(text, "unknown scheme");
  }
  absl::string_view host;
  absl::string_view port;
  if (absl::ConsumePrefix(&rest, "[")) {
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) return BadRemote(text, "unterminated [");
    host = rest.substr(0, close);
    rest.remove_prefix(close + 1);
    if (!absl::ConsumePrefix(&rest, ":")) return BadRemote(text, "missing port");
    port = rest;
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos) return BadRemote(text, "missing port");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != absl::string_view::npos) {
      return BadRemote(text, "an IPv6 address must be written in brackets");
    }
  }
  uint32_t number = 0;
  if (host.empty()) return BadRemote(text, "empty host");
  if (!absl::SimpleAtoi(port, &number) || number == 0 || number > 65535) {
    return BadRemote(text, "port must be 1-65535");
  }
  remote.host = std::string(host);
  remote.port = static_cast<uint16_t>(number);
  return remote;
}

absl::StatusOr<std::vector<Remote>> ParseRemoteList(absl::string_view text) {
  std::vector<Remote> remotes;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    absl::StatusOr<Remote> remote = ParseRemote(entry);
    if (!remote.ok()) return remote.status();
    remotes.push_back(*std::move(remote));
  }
  return remotes;
}

}  // namespace plasmanet::ovsdb
