#include "testing/ovsdb_server.h"

#include <filesystem>
#include <system_error>

#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "testing/ports.h"
#include "testing/process.h"

namespace plasmanet::testing {

absl::Status CreateDatabase(const std::string& db_path, const std::string& schema) {
  PN_ASSIGN_OR_RETURN(ProcessResult result,
                      RunProgram("ovsdb-tool", {"create", db_path, schema}, absl::Seconds(30)));
  if (result.exit_code != 0) {
    return absl::UnknownError(absl::StrCat("ovsdb-tool create ", db_path, " exited with ",
                                           result.exit_code, ": ", result.stderr_text));
  }
  return absl::OkStatus();
}

OvsdbServer::OvsdbServer(OvsdbServerOptions options) : options_(std::move(options)) {}

OvsdbServer::~OvsdbServer() {
  daemon_.reset();  // stops the server before its files go
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string OvsdbServer::tcp_remote() const {
  return tcp_port_ == 0 ? "" : absl::StrCat("tcp:127.0.0.1:", tcp_port_);
}

std::string OvsdbServer::ssl_remote() const {
  return ssl_port_ == 0 ? "" : absl::StrCat("ssl:127.0.0.1:", ssl_port_);
}

absl::Status OvsdbServer::Prepare() {
  if (dir_.empty()) {  // a failed earlier Prepare may have made it already
    PN_ASSIGN_OR_RETURN(dir_, MakeDaemonDir("plasmanet-ovsdb-"));
  }
  OvsdbDaemonConfig config{.db_path = db_path(), .run_dir = dir_, .name = "nb"};
  if (options_.tcp) {
    PN_ASSIGN_OR_RETURN(tcp_port_, PickFreePort());
    config.extra_args.push_back(absl::StrCat("--remote=ptcp:", tcp_port_, ":127.0.0.1"));
    config.ready_remotes.push_back(tcp_remote());
  }
  if (options_.ssl) {
    PN_ASSIGN_OR_RETURN(pki_, GenerateTestPki(dir_));
    PN_ASSIGN_OR_RETURN(ssl_port_, PickFreePort());
    config.extra_args.insert(
        config.extra_args.end(),
        {absl::StrCat("--remote=pssl:", ssl_port_, ":127.0.0.1"),
         "--private-key=" + pki_.server.private_key, "--certificate=" + pki_.server.certificate,
         "--ca-cert=" + pki_.server.ca_cert});
    config.ready_remotes.push_back(ssl_remote());
  }
  daemon_ = std::make_unique<OvsdbDaemon>(std::move(config));
  return absl::OkStatus();
}

absl::Status OvsdbServer::CreateDatabaseIfMissing() {
  if (std::filesystem::exists(db_path())) {
    return absl::OkStatus();
  }
  return CreateDatabase(db_path(), options_.schema);
}

absl::Status OvsdbServer::Start() {
  if (daemon_ == nullptr) {
    PN_RETURN_IF_ERROR(Prepare());
  }
  PN_RETURN_IF_ERROR(CreateDatabaseIfMissing());
  return daemon_->Start();
}

absl::Status OvsdbServer::Stop() { return daemon_ == nullptr ? absl::OkStatus() : daemon_->Stop(); }

absl::Status OvsdbServer::Kill() { return daemon_ == nullptr ? absl::OkStatus() : daemon_->Kill(); }

absl::Status OvsdbServer::Restart() {
  PN_RETURN_IF_ERROR(Stop());
  return Start();
}

absl::Status OvsdbServer::Wipe() {
  PN_RETURN_IF_ERROR(Stop());
  if (daemon_ != nullptr) {
    std::error_code error;
    std::filesystem::remove(db_path(), error);
    if (error) {
      return absl::InternalError(absl::StrCat("removing ", db_path(), ": ", error.message()));
    }
  }
  return Start();
}

}  // namespace plasmanet::testing
