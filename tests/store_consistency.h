// Checks that the store's index and uniqueness keys agree with the objects, as a test helper:
// every port's addresses and MAC have their keys pointing back at it, and every such key belongs
// to a live port. Returns a list of problems (empty when consistent).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "model/json_codec.h"
#include "model/port.h"
#include "store/store.h"

namespace plasmanet::testing {

inline std::vector<store::KeyValue> ReadAll(store::Store& store, const std::string& prefix) {
  std::vector<store::KeyValue> out;
  store::RangeRequest request{.prefix = prefix, .limit = 5000};
  while (true) {
    absl::StatusOr<store::RangeResult> page = store.Range(request);
    if (!page.ok()) {
      ADD_FAILURE() << "reading " << prefix << ": " << page.status();
      return out;
    }
    out.insert(out.end(), page->kvs.begin(), page->kvs.end());
    if (!page->more) return out;
    request.start_after = page->kvs.back().key;
  }
}

inline std::vector<std::string> CheckPortKeys(
    store::Store& store, std::map<std::string, model::Port>* ports_out = nullptr) {
  std::vector<std::string> problems;
  std::map<std::string, model::Port> ports;
  for (const store::KeyValue& kv : ReadAll(store, "/v1/ports/")) {
    absl::StatusOr<model::Port> port = model::Decode<model::Port>(kv.value);
    if (!port.ok()) {
      problems.push_back(absl::StrCat("undecodable ", kv.key));
      continue;
    }
    ports[port->meta.id] = *port;
  }
  std::set<std::string> expected_ipam;
  std::set<std::string> expected_mac;
  for (const auto& [id, port] : ports) {
    for (const IpAddress& ip : port.fixed_ips) {
      expected_ipam.insert(absl::StrCat("/v1/ipam/", port.subnet_id, "/", ip.ToString(), "=", id));
    }
    expected_mac.insert(
        absl::StrCat("/v1/mac/", port.subnet_id, "/", port.mac.ToString(), "=", id));
  }
  std::set<std::string> actual_ipam;
  for (const store::KeyValue& kv : ReadAll(store, "/v1/ipam/")) {
    actual_ipam.insert(kv.key + "=" + kv.value);
  }
  std::set<std::string> actual_mac;
  for (const store::KeyValue& kv : ReadAll(store, "/v1/mac/")) {
    actual_mac.insert(kv.key + "=" + kv.value);
  }
  for (const std::string& k : expected_ipam) {
    if (!actual_ipam.count(k)) problems.push_back("missing address key " + k);
  }
  for (const std::string& k : actual_ipam) {
    if (!expected_ipam.count(k)) problems.push_back("orphan address key " + k);
  }
  for (const std::string& k : expected_mac) {
    if (!actual_mac.count(k)) problems.push_back("missing mac key " + k);
  }
  for (const std::string& k : actual_mac) {
    if (!expected_mac.count(k)) problems.push_back("orphan mac key " + k);
  }
  if (ports_out != nullptr) *ports_out = std::move(ports);
  return problems;
}

}  // namespace plasmanet::testing
