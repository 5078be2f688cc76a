// EtcdOptions: how the etcd store backend reaches its cluster, parsed from the part of a store
// URL after "etcd:".
//
//   etcd:http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379
//   etcd:https://etcd1:2379,https://etcd2:2379?ca=/etc/pn/ca.pem&cert=/etc/pn/c.pem&key=/etc/pn/c.key
//   etcd:http://127.0.0.1:2379?user=plasmanet&password-file=/etc/pn/etcd-password&timeout=3s
//
// Endpoints are comma-separated http:// or https:// URLs (all of one scheme) of the cluster's
// client URLs; the port defaults to 2379 and IPv6 hosts are written in brackets. Options follow
// one '?' as name=value pairs joined by '&' (no percent-decoding: paths with '&' or '=' cannot be
// given):
//   ca=FILE, cert=FILE, key=FILE  PEM files for https: the CA that signed the members'
//                                 certificates (default: the system's roots) and this client's
//                                 certificate and key (both or neither);
//   user=NAME, password-file=FILE etcd user; the password is the file's first line. Never put a
//                                 password in the URL: plasmanetd logs the URL;
//   timeout=DURATION              deadline of every call (absl syntax: 500ms, 5s); default 5s;
//   max-txn-ops=N                 the cluster's --max-txn-ops; default 128, etcd's default;
//   max-request-bytes=N           the cluster's --max-request-bytes; default 1572864 (1.5 MiB);
//   retained-revisions=N          history kept by automatic compaction; default 100000; 0: never
//                                 compact automatically (the operator runs etcd's own).
//
// Thread-compatible value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

namespace plasmanet::store::etcd {

struct EtcdEndpoint {
  std::string url;   // as written, e.g. "http://127.0.0.1:2379"; used in messages and logs
  std::string host;  // "127.0.0.1", "etcd1" or "::1" (no brackets)
  int port = 2379;
  bool tls = false;

  // "host:port" as gRPC wants it ("[::1]:2379" for IPv6).
  std::string target() const;
};

struct EtcdOptions {
  std::vector<EtcdEndpoint> endpoints;

  // PEM contents, read from the files named in the URL (empty: not given).
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;

  std::string user;      // empty: no authentication
  std::string password;  // read from password-file

  absl::Duration timeout = absl::Seconds(5);
  int max_txn_ops = 128;
  int64_t max_request_bytes = 1536 * 1024;
  int64_t retained_revisions = 100'000;

  bool tls() const { return !endpoints.empty() && endpoints.front().tls; }
  // "http://a:2379,http://b:2379": for messages that must name every endpoint.
  std::string EndpointList() const;
};

// Parses `spec` (a store URL without its "etcd:" prefix) and reads the files it names.
// INVALID_ARGUMENT naming the problem: no endpoint, an unknown scheme, a missing host, a bad
// port, mixed http and https, an unknown option or a bad value, TLS options without https, a
// cert without a key, a user without a password file, or a file that cannot be read.
absl::StatusOr<EtcdOptions> ParseEtcdUrl(absl::string_view spec);

}  // namespace plasmanet::store::etcd
