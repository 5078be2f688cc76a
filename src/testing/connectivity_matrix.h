// ConnectivityMatrix: who reaches whom, by ICMP echo, TCP and UDP, between test VMs, measured
// in parallel and printed as one table, so that a failing isolation test shows the whole
// picture rather than the first wrong pair.
//
//   std::vector<Target> targets = {{"a2", "10.0.1.3"}, {"b9", "10.0.1.9"}};
//   ConnectivityMatrix seen = ConnectivityMatrix::Measure({a1.get(), b1.get()}, targets, 7000);
//   ConnectivityMatrix want;
//   want.Set("a1", "a2", Reach::All("a2"));   // every other cell: nothing answers
//   EXPECT_EQ(seen.ToString(), want.ToString(seen));
//
// A cell records what answered: whether the echo request was, and the id the probe server
// answered TCP and UDP with (netprobe, see VmNamespace), so that with identical addresses in
// two tenants "the other tenant's VM answered" is told apart from "my VM answered".
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <absl/time/time.h>

#include "testing/vm_namespace.h"

namespace plasmanet::testing {

struct Target {
  std::string label;    // column heading, e.g. the VM's name
  std::string address;  // what the sources send to
};

struct Reach {
  bool icmp = false;
  std::string tcp;  // id of the responder, empty if none
  std::string udp;

  static Reach None() { return {}; }
  static Reach All(const std::string& responder) { return {true, responder, responder}; }
  std::string ToString() const;  // "-" or e.g. "icmp tcp=a2 udp=a2"
  friend bool operator==(const Reach&, const Reach&) = default;
};

class ConnectivityMatrix {
 public:
  // Probes every source against every target (skipping a target whose label is the source's
  // name) in parallel; each probe waits at most `timeout`. Every source must run a probe server
  // on `port` only if it is also a target.
  static ConnectivityMatrix Measure(const std::vector<const VmNamespace*>& sources,
                                    const std::vector<Target>& targets, int port,
                                    absl::Duration timeout = absl::Seconds(1));

  void Set(const std::string& source, const std::string& target, Reach reach);
  // The recorded cell, or None.
  Reach Get(const std::string& source, const std::string& target) const;

  // A table with a row per source and a column per target. With `shape`, the rows and columns
  // are those of `shape` (cells this matrix does not set print as "-"), so an expected matrix
  // prints in the same layout as the measured one.
  std::string ToString() const;
  std::string ToString(const ConnectivityMatrix& shape) const;

 private:
  std::vector<std::string> sources_;  // in order of first appearance
  std::vector<std::string> targets_;
  std::map<std::pair<std::string, std::string>, Reach> cells_;
};

}  // namespace plasmanet::testing
