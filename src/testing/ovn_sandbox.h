// A whole single-machine OVN deployment for end-to-end tests and benchmarks: NB, SB,
// ovn-northd, an Open_vSwitch database, ovs-vswitchd (userspace datapath) and ovn-controller,
// started by scripts/ovn-sandbox, the same command a user runs, in a fresh directory under /tmp.
//
//   PN_ASSIGN_OR_RETURN(std::unique_ptr<OvnSandbox> sandbox, OvnSandbox::Start());
//   RunNbctl(sandbox->nb_remote(), {"show"});
//   sandbox->Run({"ovs-vsctl", "--db=" + sandbox->ovs_remote(), "show"});
//   // ovs-vswitchd runs in sandbox->chassis_netns(): VM NICs' host ends go there.
//
// The destructor stops every daemon by pid and deletes the namespaces this sandbox made (its
// own and those recorded with RecordNetns), then the directory. A test process that dies
// without cleaning up leaves its directory behind; the next sandbox sweeps it (daemons and
// namespaces). Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "testing/process.h"

namespace plasmanet::testing {

class OvnSandbox {
 public:
  // Runs `scripts/ovn-sandbox start` in a new directory. kInternal with the script's output
  // if it fails (a missing package, not root, a daemon that would not start).
  static absl::StatusOr<std::unique_ptr<OvnSandbox>> Start();
  OvnSandbox(const OvnSandbox&) = delete;
  OvnSandbox& operator=(const OvnSandbox&) = delete;
  ~OvnSandbox();

  const std::string& dir() const { return dir_; }
  std::string nb_remote() const { return "unix:" + dir_ + "/nb.sock"; }
  std::string sb_remote() const { return "unix:" + dir_ + "/sb.sock"; }
  std::string ovs_remote() const { return "unix:" + dir_ + "/ovs.sock"; }
  // The namespace ovs-vswitchd and ovn-controller run in.
  const std::string& chassis_netns() const { return chassis_netns_; }
  const std::string& chassis_name() const { return chassis_name_; }
  // A name for another namespace that is unique to this sandbox: "<chassis netns>-<suffix>".
  std::string NetnsName(const std::string& suffix) const;

  // Records a namespace the test created, so that it is deleted with the sandbox (and swept if
  // the test process dies).
  void RecordNetns(const std::string& netns);

  // Runs a program with the sandbox's OVS_RUNDIR/OVN_RUNDIR in the environment, so OVS and OVN
  // tools find its daemons' control sockets. Errors as RunProgram's.
  absl::StatusOr<ProcessResult> Run(const std::vector<std::string>& command,
                                    absl::Duration timeout = absl::Seconds(30)) const;

  // `scripts/ovn-sandbox stop`: the daemons, then every recorded namespace. Idempotent.
  absl::Status Stop();

 private:
  explicit OvnSandbox(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
  std::string chassis_netns_;
  std::string chassis_name_;
  bool stopped_ = false;
};

// Path of scripts/ovn-sandbox in the source tree.
std::string SandboxScript();

}  // namespace plasmanet::testing
