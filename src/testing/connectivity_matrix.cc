#include "testing/connectivity_matrix.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

namespace plasmanet::testing {
namespace {

void AddOnce(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

}  // namespace

std::string Reach::ToString() const {
  std::vector<std::string> parts;
  if (icmp) parts.push_back("icmp");
  if (!tcp.empty()) parts.push_back("tcp=" + tcp);
  if (!udp.empty()) parts.push_back("udp=" + udp);
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

ConnectivityMatrix ConnectivityMatrix::Measure(const std::vector<const VmNamespace*>& sources,
                                               const std::vector<Target>& targets, int port,
                                               absl::Duration timeout) {
  ConnectivityMatrix matrix;
  for (const VmNamespace* source : sources) AddOnce(matrix.sources_, source->name());
  for (const Target& target : targets) AddOnce(matrix.targets_, target.label);

  // Each probe is a process that mostly waits (for an answer or the timeout): run them all at
  // once, so a matrix costs about one timeout rather than one per silent cell.
  std::mutex mu;
  std::vector<std::thread> probes;
  for (const VmNamespace* source : sources) {
    for (const Target& target : targets) {
      if (target.label == source->name()) continue;
      probes.emplace_back([&, source, target] {
        Reach reach;
        reach.icmp = source->Ping(target.address, timeout);
        for (Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
          absl::StatusOr<std::string> id = source->Probe(protocol, target.address, port, timeout);
          if (id.ok()) (protocol == Protocol::kTcp ? reach.tcp : reach.udp) = *id;
        }
        std::lock_guard<std::mutex> lock(mu);
        matrix.cells_[{source->name(), target.label}] = reach;
      });
    }
  }
  for (std::thread& probe : probes) probe.join();
  return matrix;
}

void ConnectivityMatrix::Set(const std::string& source, const std::string& target, Reach reach) {
  AddOnce(sources_, source);
  AddOnce(targets_, target);
  cells_[{source, target}] = std::move(reach);
}

Reach ConnectivityMatrix::Get(const std::string& source, const std::string& target) const {
  auto it = cells_.find({source, target});
  return it == cells_.end() ? Reach::None() : it->second;
}

std::string ConnectivityMatrix::ToString() const { return ToString(*this); }

std::string ConnectivityMatrix::ToString(const ConnectivityMatrix& shape) const {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> heading = {"from \\ to"};
  heading.insert(heading.end(), shape.targets_.begin(), shape.targets_.end());
  rows.push_back(heading);
  for (const std::string& source : shape.sources_) {
    std::vector<std::string> row = {source};
    for (const std::string& target : shape.targets_) {
      row.push_back(source == target ? "(self)" : Get(source, target).ToString());
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(heading.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out = "\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&out, row[i], std::string(widths[i] - row[i].size() + 2, ' '));
    }
    out.back() = '\n';
  }
  return out;
}

}  // namespace plasmanet::testing
