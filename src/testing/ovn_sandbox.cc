#include "testing/ovn_sandbox.h"

#include <filesystem>
#include <fstream>

#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>

#include "common/status_macros.h"

namespace plasmanet::testing {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace

std::string SandboxScript() { return absl::StrCat(PLASMANET_SOURCE_DIR, "/scripts/ovn-sandbox"); }

absl::StatusOr<std::unique_ptr<OvnSandbox>> OvnSandbox::Start() {
  PN_ASSIGN_OR_RETURN(std::string dir, MakeDaemonDir("plasmanet-sandbox-"));
  auto sandbox = std::unique_ptr<OvnSandbox>(new OvnSandbox(std::move(dir)));
  PN_ASSIGN_OR_RETURN(
      ProcessResult started,
      RunProgram(SandboxScript(), {"start", "--run-dir", sandbox->dir_}, absl::Seconds(60)));
  if (started.exit_code != 0) {
    return absl::InternalError(absl::StrCat("scripts/ovn-sandbox start failed (exit ",
                                            started.exit_code, "): ", started.stderr_text,
                                            started.stdout_text));
  }
  sandbox->chassis_netns_ = ReadFirstLine(sandbox->dir_ + "/netns");
  sandbox->chassis_name_ = ReadFirstLine(sandbox->dir_ + "/chassis");
  return sandbox;
}

OvnSandbox::~OvnSandbox() {
  Stop().IgnoreError();  // a test's teardown has nobody to report to
  std::error_code error;
  std::filesystem::remove_all(dir_, error);
}

std::string OvnSandbox::NetnsName(const std::string& suffix) const {
  return absl::StrCat(chassis_netns_, "-", suffix);
}

void OvnSandbox::RecordNetns(const std::string& netns) {
  std::ofstream(dir_ + "/netns", std::ios::app) << netns << "\n";
}

absl::StatusOr<ProcessResult> OvnSandbox::Run(const std::vector<std::string>& command,
                                              absl::Duration timeout) const {
  std::vector<std::string> args = {absl::StrCat("OVS_RUNDIR=", dir_),
                                   absl::StrCat("OVN_RUNDIR=", dir_)};
  args.insert(args.end(), command.begin(), command.end());
  return RunProgram("env", args, timeout);
}

absl::Status OvnSandbox::Stop() {
  if (stopped_) return absl::OkStatus();
  stopped_ = true;
  PN_ASSIGN_OR_RETURN(ProcessResult stopped,
                      RunProgram(SandboxScript(), {"stop", "--run-dir", dir_}, absl::Seconds(60)));
  if (stopped.exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        "scripts/ovn-sandbox stop failed: ", stopped.stderr_text, stopped.stdout_text));
  }
  return absl::OkStatus();
}

}  // namespace plasmanet::testing
