#include "store/etcd/etcd_options.h"

#include <fstream>
#include <iterator>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include "common/status_macros.h"

namespace plasmanet::store::etcd {
namespace {

absl::Status Invalid(absl::string_view spec, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("store 'etcd:", spec, "': ", problem));
}

absl::StatusOr<EtcdEndpoint> ParseEndpoint(absl::string_view spec, absl::string_view text) {
  EtcdEndpoint endpoint{.url = std::string(text)};
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "http://")) {
    endpoint.tls = false;
  } else if (absl::ConsumePrefix(&rest, "https://")) {
    endpoint.tls = true;
  } else {
    const size_t colon = text.find("://");
    return Invalid(spec,
                   absl::StrCat("endpoint '", text, "' has ",
                                colon == absl::string_view::npos
                                    ? "no scheme"
                                    : absl::StrCat("unknown scheme '", text.substr(0, colon), "'"),
                                "; expected http://HOST:PORT or https://HOST:PORT"));
  }
  absl::ConsumeSuffix(&rest, "/");  // "http://h:2379/" is a common way to write it
  if (rest.find('/') != absl::string_view::npos) {
    return Invalid(spec, absl::StrCat("endpoint '", text, "' has a path; expected only HOST:PORT"));
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&rest, "[")) {  // [IPv6]:port
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) {
      return Invalid(spec, absl::StrCat("endpoint '", text, "' has an unclosed '['"));
    }
    endpoint.host = std::string(rest.substr(0, close));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ":")) {
      return Invalid(spec, absl::StrCat("endpoint '", text, "' has text after ']'"));
    }
    port_text = rest;
  } else {
    const size_t colon = rest.rfind(':');
    endpoint.host = std::string(rest.substr(0, colon));
    if (colon != absl::string_view::npos) port_text = rest.substr(colon + 1);
    if (colon != absl::string_view::npos && port_text.empty()) {
      return Invalid(spec, absl::StrCat("endpoint '", text, "' has an empty port"));
    }
  }
  if (endpoint.host.empty()) {
    return Invalid(spec, absl::StrCat("endpoint '", text, "' has no host"));
  }
  if (!port_text.empty() && (!absl::SimpleAtoi(port_text, &endpoint.port) || endpoint.port < 1 ||
                             endpoint.port > 65535)) {
    return Invalid(spec, absl::StrCat("endpoint '", text, "' has a bad port '", port_text,
                                      "'; expected 1 to 65535"));
  }
  return endpoint;
}

absl::StatusOr<std::string> ReadFile(absl::string_view spec, absl::string_view option,
                                     const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Invalid(spec, absl::StrCat(option, ": cannot read '", path, "'"));
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

template <typename Int>
absl::Status ParsePositive(absl::string_view spec, absl::string_view name, absl::string_view value,
                           Int min, Int* out) {
  if (!absl::SimpleAtoi(value, out) || *out < min) {
    return Invalid(spec, absl::StrCat(name, "='", value, "' is not a whole number >= ", min));
  }
  return absl::OkStatus();
}

// Applies one name=value option; file options are recorded as paths in `files` and read later.
absl::Status ApplyOption(absl::string_view spec, absl::string_view name, absl::string_view value,
                         EtcdOptions& options, std::string files[4]) {
  if (name == "ca" || name == "cert" || name == "key" || name == "password-file") {
    if (value.empty()) return Invalid(spec, absl::StrCat(name, " needs a file path"));
    const int slot = name == "ca" ? 0 : name == "cert" ? 1 : name == "key" ? 2 : 3;
    files[slot] = std::string(value);
    return absl::OkStatus();
  }
  if (name == "user") {
    if (value.empty()) return Invalid(spec, "user needs a name");
    options.user = std::string(value);
    return absl::OkStatus();
  }
  if (name == "timeout") {
    if (!absl::ParseDuration(value, &options.timeout) || options.timeout <= absl::ZeroDuration()) {
      return Invalid(spec,
                     absl::StrCat("timeout='", value, "' is not a positive duration like 5s"));
    }
    return absl::OkStatus();
  }
  if (name == "max-txn-ops") {
    return ParsePositive(spec, name, value, 1, &options.max_txn_ops);
  }
  if (name == "max-request-bytes") {
    return ParsePositive(spec, name, value, int64_t{1024}, &options.max_request_bytes);
  }
  if (name == "retained-revisions") {
    return ParsePositive(spec, name, value, int64_t{0}, &options.retained_revisions);
  }
  return Invalid(spec, absl::StrCat("unknown option '", name,
                                    "'; known: ca, cert, key, user, password-file, timeout, "
                                    "max-txn-ops, max-request-bytes, retained-revisions"));
}

}  // namespace

std::string EtcdEndpoint::target() const {
  return host.find(':') == std::string::npos ? absl::StrCat(host, ":", port)
                                             : absl::StrCat("[", host, "]:", port);
}

std::string EtcdOptions::EndpointList() const {
  return absl::StrJoin(endpoints, ",",
                       [](std::string* out, const EtcdEndpoint& e) { out->append(e.url); });
}

absl::StatusOr<EtcdOptions> ParseEtcdUrl(absl::string_view spec) {
  EtcdOptions options;
  const size_t question = spec.find('?');
  const absl::string_view list = spec.substr(0, question);
  if (list.empty()) {
    return Invalid(spec, "no endpoint; expected etcd:http://HOST:PORT[,http://HOST:PORT...]");
  }
  for (absl::string_view text : absl::StrSplit(list, ',')) {
    PN_ASSIGN_OR_RETURN(EtcdEndpoint endpoint, ParseEndpoint(spec, text));
    if (!options.endpoints.empty() && endpoint.tls != options.endpoints.front().tls) {
      return Invalid(spec, "endpoints mix http:// and https://; use one scheme for all");
    }
    options.endpoints.push_back(std::move(endpoint));
  }

  std::string files[4];  // ca, cert, key, password-file
  if (question != absl::string_view::npos) {
    for (absl::string_view pair : absl::StrSplit(spec.substr(question + 1), '&')) {
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      if (eq == absl::string_view::npos) {
        return Invalid(spec, absl::StrCat("option '", pair, "' has no value; expected name=value"));
      }
      PN_RETURN_IF_ERROR(
          ApplyOption(spec, pair.substr(0, eq), pair.substr(eq + 1), options, files));
    }
  }

  if (!options.tls() && (!files[0].empty() || !files[1].empty() || !files[2].empty())) {
    return Invalid(spec, "ca, cert and key need https:// endpoints");
  }
  if (files[1].empty() != files[2].empty()) {
    return Invalid(spec, "cert and key go together; give both or neither");
  }
  if (options.user.empty() != files[3].empty()) {
    return Invalid(spec, "user and password-file go together; give both or neither");
  }
  if (!files[0].empty()) {
    PN_ASSIGN_OR_RETURN(options.ca_pem, ReadFile(spec, "ca", files[0]));
  }
  if (!files[1].empty()) {
    PN_ASSIGN_OR_RETURN(options.cert_pem, ReadFile(spec, "cert", files[1]));
  }
  if (!files[2].empty()) {
    PN_ASSIGN_OR_RETURN(options.key_pem, ReadFile(spec, "key", files[2]));
  }
  if (!files[3].empty()) {
    PN_ASSIGN_OR_RETURN(std::string text, ReadFile(spec, "password-file", files[3]));
    options.password = std::string(
        absl::StripTrailingAsciiWhitespace(absl::string_view(text).substr(0, text.find('\n'))));
    if (options.password.empty()) {
      return Invalid(spec, absl::StrCat("password-file '", files[3], "' is empty"));
    }
  }
  return options;
}

}  // namespace plasmanet::store::etcd
