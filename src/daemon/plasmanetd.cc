// plasmanetd: the PlasmaNET control-plane daemon.
//
// Opens the store, serves the plasmanet.v1 gRPC API to callers holding a token from the token
// file, and with --ovn-nb runs the reconciler that keeps OVN Northbound in step with the store:
// always on the embedded store, and only while elected leader when several replicas share etcd
// (daemon/reconciler_host.h).
// It logs one line when it starts and one
// when it stops, and on SIGTERM or SIGINT lets running calls finish before it exits.

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <signal.h>
#include <unistd.h>

#include "api/api_server.h"
#include "auth/authenticator.h"
#include "auth/token_file.h"
#include "common/clock.h"
#include "common/ip_address.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/reconciler_host.h"
#include "election/leader_election.h"
#include "ovsdb/remote.h"
#include "reconcile/reconciler.h"
#include "service/services.h"
#include "store/etcd/etcd_store.h"
#include "store/store.h"

namespace plasmanet {
namespace {

struct Flags {
  std::string store = "sqlite:plasmanet.db";
  std::string listen = "127.0.0.1:7070";
  std::string tokens;
  std::string jwt_hs256_secret_file;
  std::string jwt_rs256_key_file;
  std::string audit_log = "plasmanet-audit.log";
  service::Quotas quotas;
  std::string tls_cert;
  std::string tls_key;
  int shutdown_grace_seconds = 10;
  std::string log_level = "info";
  std::string pidfile;
  std::string ovn_nb;
  std::string ovn_sb;
  std::string ovn_private_key;
  std::string ovn_certificate;
  std::string ovn_ca_cert;
  int underlay_mtu = model::kDefaultUnderlayMtu;
  std::string dns_zone = "internal";
  std::vector<std::string> dns_servers;
  std::string replica_name;  // default: HOSTNAME:PORT of --listen
  int leader_lease_ttl_seconds = 5;
};

// The name a replica goes by when --replica-name is not given: host name and API address.
std::string DefaultReplicaName(const std::string& listen) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "plasmanetd");
  const size_t colon = listen.rfind(':');
  return absl::StrCat(host, colon == std::string::npos ? "" : listen.substr(colon));
}

// Runs `task` every `period` on a thread of its own until destroyed (housekeeping such as
// sweeping expired request records).
class PeriodicTask {
 public:
  PeriodicTask(absl::Duration period, std::function<void()> task)
      : thread_([this, period, task = std::move(task)] {
          std::unique_lock<std::mutex> lock(mu_);
          while (!cv_.wait_for(lock, absl::ToChronoMilliseconds(period), [&] { return stop_; })) {
            lock.unlock();
            task();
            lock.lock();
          }
        }) {}
  ~PeriodicTask() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, " cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Static tokens and/or JWT keys, as the flags say; at least one of them.
absl::StatusOr<std::unique_ptr<auth::Authenticator>> LoadAuthenticator(const Flags& flags) {
  if (flags.tokens.empty() && flags.jwt_hs256_secret_file.empty() &&
      flags.jwt_rs256_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tokens, --jwt-hs256-secret or --jwt-rs256-key is required: every call is authenticated");
  }
  std::optional<auth::TokenFile> tokens;
  if (!flags.tokens.empty()) {
    PN_ASSIGN_OR_RETURN(tokens, auth::TokenFile::Load(flags.tokens));
  }
  std::unique_ptr<auth::JwtVerifier> jwt;
  if (!flags.jwt_hs256_secret_file.empty() || !flags.jwt_rs256_key_file.empty()) {
    std::string secret, key;
    if (!flags.jwt_hs256_secret_file.empty()) {
      PN_ASSIGN_OR_RETURN(secret, ReadAll(flags.jwt_hs256_secret_file));
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    }
    if (!flags.jwt_rs256_key_file.empty()) {
      PN_ASSIGN_OR_RETURN(key, ReadAll(flags.jwt_rs256_key_file));
    }
    PN_ASSIGN_OR_RETURN(jwt, auth::JwtVerifier::Create(secret, key, RealClock::Get()));
  }
  return std::make_unique<auth::Authenticator>(std::move(tokens), std::move(jwt));
}

int Run(const Flags& flags) {
  LogLevel level;
  if (!ParseLogLevel(flags.log_level, &level)) {
    std::fprintf(stderr, "plasmanetd: --log-level %s: expected trace, debug, info, warn or error\n",
                 flags.log_level.c_str());
    return 2;
  }
  InitLogging("plasmanetd", level);

  // Flags are checked before anything is opened.
  std::vector<ovsdb::Remote> nb_remotes;
  std::vector<ovsdb::Remote> sb_remotes;
  for (auto [flag, text, remotes] : {std::tuple{"--ovn-nb", &flags.ovn_nb, &nb_remotes},
                                     std::tuple{"--ovn-sb", &flags.ovn_sb, &sb_remotes}}) {
    if (text->empty()) continue;
    absl::StatusOr<std::vector<ovsdb::Remote>> parsed = ovsdb::ParseRemoteList(*text);
    if (!parsed.ok()) {
      LOG_ERROR("{}: {}", flag, std::string(parsed.status().message()));
      return 2;
    }
    for (const ovsdb::Remote& remote : *parsed) {
      if (remote.kind == ovsdb::Remote::Kind::kSsl &&
          (flags.ovn_private_key.empty() || flags.ovn_certificate.empty() ||
           flags.ovn_ca_cert.empty())) {
        LOG_ERROR(
            "{} {}: ssl: remotes need --ovn-private-key, --ovn-certificate and "
            "--ovn-ca-cert",
            flag, remote.ToString());
        return 2;
      }
    }
    *remotes = *std::move(parsed);
  }
  if (nb_remotes.empty() && !sb_remotes.empty()) {
    LOG_ERROR("--ovn-sb needs --ovn-nb: Southbound is read only to learn port bindings");
    return 2;
  }
  if (!nb_remotes.empty() && sb_remotes.empty()) {
    // Not an error (a lab without gateways works), but the consequence is silent otherwise.
    LOG_WARN(
        "no --ovn-sb: VPC gateways get no chassis, so their SNAT and floating IPs do not work, "
        "and ports report no binding chassis");
  }

  // What guests are told; checked before anything is opened.
  reconcile::CompileOptions compile{.dns_zone = absl::AsciiStrToLower(flags.dns_zone),
                                    .default_mtu = flags.underlay_mtu - model::kGeneveOverhead};
  for (const std::string& text : flags.dns_servers) {
    absl::StatusOr<IpAddress> server = IpAddress::Parse(text);
    if (!server.ok()) {
      LOG_ERROR("bad --dns-server value={} error=\"{}\"", text, server.status().ToString());
      return 2;
    }
    compile.default_dns_servers.push_back(*server);
  }
  for (absl::string_view label : absl::StrSplit(compile.dns_zone, '.')) {
    if (!reconcile::IsDnsLabel(label)) {
      LOG_ERROR("bad --dns-zone value={}: not dot-separated DNS labels", flags.dns_zone);
      return 2;
    }
  }

  // Block the shutdown signals before any thread starts, so every thread inherits the mask and
  // only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string replica =
      flags.replica_name.empty() ? DefaultReplicaName(flags.listen) : flags.replica_name;
  const election::LeaderElectionOptions election{
      .replica = replica, .ttl = absl::Seconds(flags.leader_lease_ttl_seconds)};
  if (absl::Status valid = election::LeaderElection::Validate(election); !valid.ok()) {
    LOG_ERROR("--leader-lease-ttl / --replica-name: {}", std::string(valid.message()));
    return 2;
  }

  // On etcd the election shares the store's connection.
  std::shared_ptr<store::etcd::EtcdClient> etcd;
  absl::StatusOr<store::StorePtr> store = absl::InternalError("unset");
  if (absl::StartsWith(flags.store, "etcd:")) {
    absl::StatusOr<std::unique_ptr<store::etcd::EtcdStore>> opened =
        store::etcd::EtcdStore::Open(absl::string_view(flags.store).substr(5));
    if (opened.ok()) {
      etcd = (*opened)->client();
      store = std::move(*opened);
    } else {
      store = opened.status();
    }
  } else {
    store = store::OpenStore(flags.store);
  }
  if (!store.ok()) {
    LOG_ERROR("cannot open store url={} error=\"{}\"", flags.store, store.status().ToString());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<auth::Authenticator>> tokens = LoadAuthenticator(flags);
  if (!tokens.ok()) {
    LOG_ERROR("cannot set up authentication error=\"{}\"", tokens.status().ToString());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<api::AuditLog>> audit =
      api::AuditLog::Open(flags.audit_log, RealClock::Get());
  if (!audit.ok()) {
    LOG_ERROR("cannot open the audit log error=\"{}\"", audit.status().ToString());
    return 1;
  }
  auto services = std::make_unique<service::Services>(
      **store, RealClock::Get(), std::nullopt, flags.quotas,
      model::NetworkLimits{.max_mtu = compile.default_mtu}, /*shared_store=*/etcd != nullptr);
  // request_id records guard retries for 24 h; older ones are swept every hour.
  auto sweeper = std::make_unique<PeriodicTask>(absl::Hours(1), [&services] {
    absl::StatusOr<int64_t> swept = services->SweepExpiredRequests();
    if (!swept.ok()) {
      LOG_WARN("cannot sweep expired request records error=\"{}\"", swept.status().ToString());
    } else if (*swept > 0) {
      LOG_INFO("swept expired request records count={}", *swept);
    }
  });
  ReconcilerHostOptions host_options{.replica = replica,
                                     .store_backend = etcd != nullptr ? "etcd" : "sqlite",
                                     .etcd = etcd,
                                     .election = election};
  if (!flags.ovn_nb.empty()) {
    const ovsdb::TlsFiles tls{.private_key = flags.ovn_private_key,
                              .certificate = flags.ovn_certificate,
                              .ca_certificate = flags.ovn_ca_cert};
    host_options.reconciler = reconcile::ReconcilerOptions{.nb_remotes = std::move(nb_remotes),
                                                           .tls = tls,
                                                           .sb_remotes = std::move(sb_remotes),
                                                           .sb_tls = tls,
                                                           .compile = compile};
  } else {
    LOG_WARN("no --ovn-nb: the API works but this replica programs nothing into OVN");
  }
  auto host = std::make_unique<ReconcilerHost>(**store, services->ports, std::move(host_options));
  host->Start();
  absl::StatusOr<std::unique_ptr<api::ApiServer>> server =
      api::ApiServer::Start(*services, **tokens, **audit,
                            {.listen = flags.listen,
                             .tls_cert_file = flags.tls_cert,
                             .tls_key_file = flags.tls_key,
                             .replica_status = [&host] { return host->Status(); }});
  if (!server.ok()) {
    LOG_ERROR("cannot start the API error=\"{}\"", server.status().ToString());
    return 1;
  }
  if (!flags.pidfile.empty()) {
    std::ofstream(flags.pidfile) << getpid() << "\n";
  }
  LOG_INFO("started pid={} replica={} store={} revision={} listen={} port={} tokens={}", getpid(),
           replica, flags.store, (*store)->CurrentRevision().value_or(-1), flags.listen,
           (*server)->port(), (*tokens)->static_tokens());

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LOG_INFO("stopping signal={}", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");

  // Leadership first, so another replica takes over while this one drains its calls.
  host->Stop();
  (*server)->Shutdown(absl::Seconds(flags.shutdown_grace_seconds));
  host.reset();
  sweeper.reset();
  services.reset();
  store->reset();  // drains queued commits and closes the database
  if (!flags.pidfile.empty()) {
    std::remove(flags.pidfile.c_str());
  }
  LOG_INFO("stopped");
  return 0;
}

}  // namespace
}  // namespace plasmanet

int main(int argc, char** argv) {
  plasmanet::Flags flags;
  CLI::App app{"plasmanetd: the PlasmaNET network control plane daemon"};
  app.add_option("--store", flags.store,
                 "Store URL: sqlite:PATH (embedded, one plasmanetd) or "
                 "etcd:http://HOST:PORT[,...][?options] (docs/architecture.md)")
      ->capture_default_str();
  app.add_option("--listen", flags.listen, "gRPC address: HOST:PORT or unix:PATH")
      ->capture_default_str();
  app.add_option("--tokens", flags.tokens,
                 "Token file: one 'TOKEN ORG PROJECT ROLE[,ROLE...]' a line");
  app.add_option("--jwt-hs256-secret", flags.jwt_hs256_secret_file,
                 "File holding the HS256 secret (32+ bytes) of accepted JWTs");
  app.add_option("--jwt-rs256-key", flags.jwt_rs256_key_file,
                 "PEM RSA public key of accepted RS256 JWTs");
  app.add_option("--underlay-mtu", flags.underlay_mtu,
                 "MTU of the network between hypervisors; subnets get at most this less 58 "
                 "bytes of Geneve encapsulation")
      ->check(CLI::Range(1280 + plasmanet::model::kGeneveOverhead, 9216))
      ->capture_default_str();
  app.add_option("--dns-zone", flags.dns_zone, "Zone of the VMs' names: NAME.SUBNET.VPC.ZONE")
      ->capture_default_str();
  app.add_option("--dns-server", flags.dns_servers,
                 "DNS server for subnets that name none (repeatable); default: the subnet's "
                 "gateway, which answers the VPC's names only");
  // Per-project limits, the same for every project.
  app.add_option("--quota-vpcs", flags.quotas.vpcs, "VPCs per project")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--quota-subnets", flags.quotas.subnets, "Subnets per project")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--quota-ports", flags.quotas.ports, "Ports per project")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--quota-security-groups", flags.quotas.security_groups,
                 "Security groups per project (the default group is not counted)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--quota-floating-ips", flags.quotas.floating_ips, "Floating IPs per project")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--tls-cert", flags.tls_cert, "PEM certificate: serve the API over TLS");
  app.add_option("--tls-key", flags.tls_key, "PEM private key of --tls-cert");
  app.add_option("--audit-log", flags.audit_log,
                 "File that receives one JSON line per mutating API call")
      ->capture_default_str();
  app.add_option("--shutdown-grace", flags.shutdown_grace_seconds,
                 "Seconds running calls may take to finish after SIGTERM")
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  app.add_option("--pidfile", flags.pidfile, "Write the process id to this file while running");
  app.add_option("--replica-name", flags.replica_name,
                 "This replica's name among several on one etcd (default: HOSTNAME:PORT of "
                 "--listen)");
  app.add_option("--leader-lease-ttl", flags.leader_lease_ttl_seconds,
                 "Seconds a leader's lease lasts without renewal, on etcd: a replica that dies "
                 "is replaced after about this long")
      ->capture_default_str();
  app.add_option("--ovn-nb", flags.ovn_nb,
                 "OVN Northbound database: unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT; a "
                 "comma-separated list for a clustered database");
  app.add_option("--ovn-sb", flags.ovn_sb,
                 "OVN Southbound database (read only): the chassis each port is bound to, and "
                 "the chassis that can host VPC gateways (needed for SNAT and floating IPs). "
                 "Same syntax as --ovn-nb");
  app.add_option("--ovn-private-key", flags.ovn_private_key,
                 "PEM private key for ssl: OVN remotes");
  app.add_option("--ovn-certificate", flags.ovn_certificate,
                 "PEM certificate for ssl: OVN remotes");
  app.add_option("--ovn-ca-cert", flags.ovn_ca_cert,
                 "PEM CA certificate that signed the OVN database servers' certificates");
  // Every flag may also come from a file: `listen = "127.0.0.1:7070"` lines (TOML or INI).
  // Flags on the command line win over the file.
  app.set_config("--config", "", "Read flags from this file (TOML/INI, key = value)");
  CLI11_PARSE(app, argc, argv);
  return plasmanet::Run(flags);
}
