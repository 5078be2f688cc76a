#include "store/etcd/etcd_client.h"

#include <algorithm>
#include <utility>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "common/logging.h"
#include "common/status_macros.h"

namespace plasmanet::store::etcd {
namespace {

namespace pb = ::etcdserverpb;

// etcd's metadata keys: the auth token, and "refuse unless you follow a leader".
constexpr char kTokenKey[] = "token";
constexpr char kRequireLeaderKey[] = "hasleader";
constexpr char kRequireLeaderValue[] = "true";

// Longest wait for one member's connection before trying the next: a member that is down
// refuses at once, but a host that drops packets would otherwise eat the whole deadline.
constexpr absl::Duration kConnectBudget = absl::Seconds(1);
// How long a channel in TRANSIENT_FAILURE is given to start reconnecting (see Connected).
constexpr absl::Duration kFailedChannelWait = absl::Milliseconds(200);

bool Says(const grpc::Status& status, absl::string_view text) {
  return absl::StrContains(status.error_message(), text);
}

bool IsStaleToken(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
         Says(status, "invalid auth token") || Says(status, "revision of auth store is old");
}

// The request surely was not applied, so it is safe to send it to another member even if it
// would change something: gRPC found no connection to send it on (a member that just died can
// still look connected until the call tries it), or etcd turned it away before doing anything.
bool SurelyNotApplied(const grpc::Status& status) {
  return (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
          absl::StartsWith(status.error_message(), "failed to connect to all addresses")) ||
         Says(status, "etcdserver: no leader") || Says(status, "etcdserver: not capable") ||
         Says(status, "etcdserver: too many requests");
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const EtcdOptions& options) {
  if (!options.tls()) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.ca_pem;  // empty: the system's roots
  ssl.pem_private_key = options.key_pem;
  ssl.pem_cert_chain = options.cert_pem;
  return grpc::SslCredentials(ssl);
}

grpc::ChannelArguments ChannelArguments() {
  grpc::ChannelArguments args;
  // A Range page may be large; etcd itself sends without limit.
  args.SetMaxReceiveMessageSize(-1);
  // Notice a member that vanished without closing the connection (a crashed host, a
  // partition), so that watch streams move elsewhere. etcd refuses pings more often than its
  // --grpc-keepalive-min-time (5 s) and pings without a call in flight.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A restarted member is used again within about a second, not after gRPC's default backoff of
  // up to two minutes. (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, despite its name, is the connect
  // timeout, and stays at its default.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1'000);
  // Each client gets its own connections, as separate processes would; gRPC otherwise shares
  // one between channels to the same address.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}

}  // namespace

template <typename Request, typename Response>
EtcdStream<Request, Response>::~EtcdStream() {
  if (stream_ != nullptr && !finished_) {
    context_->TryCancel();
    Response ignored;
    while (stream_->Read(&ignored)) {
    }
    stream_->Finish().ok();  // cancelled by us: the status says nothing new
  }
  client_->Forget(context_.get());
}

template <typename Request, typename Response>
absl::Status EtcdStream<Request, Response>::Finish() {
  finished_ = true;
  const grpc::Status status = stream_->Finish();
  if (status.ok()) {
    return absl::OkStatus();
  }
  if (client_->closed()) {
    return absl::CancelledError("etcd client is closed");
  }
  return client_->MapEtcdError(status, "stream", endpoint_);
}

template <typename Request, typename Response>
const EtcdEndpoint& EtcdStream<Request, Response>::endpoint() const {
  return client_->endpoint(endpoint_);
}

template class EtcdStream<pb::WatchRequest, pb::WatchResponse>;
template class EtcdStream<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>;

EtcdClient::EtcdClient(EtcdOptions options) : options_(std::move(options)) {
  const std::shared_ptr<grpc::ChannelCredentials> credentials = Credentials(options_);
  for (const EtcdEndpoint& endpoint : options_.endpoints) {
    Endpoint e{.endpoint = endpoint};
    e.channel = grpc::CreateCustomChannel(endpoint.target(), credentials, ChannelArguments());
    e.kv = pb::KV::NewStub(e.channel);
    e.watch = pb::Watch::NewStub(e.channel);
    e.lease = pb::Lease::NewStub(e.channel);
    e.maintenance = pb::Maintenance::NewStub(e.channel);
    e.auth = pb::Auth::NewStub(e.channel);
    endpoints_.push_back(std::move(e));
  }
}

EtcdClient::~EtcdClient() { Shutdown(); }

absl::StatusOr<std::shared_ptr<EtcdClient>> EtcdClient::Connect(EtcdOptions options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("etcd: no endpoint given");
  }
  std::shared_ptr<EtcdClient> client(new EtcdClient(std::move(options)));
  if (!client->options_.user.empty()) {
    PN_ASSIGN_OR_RETURN(std::string token, client->Authenticate());
    std::lock_guard lock(client->token_mu_);
    client->token_ = std::move(token);
  }
  PN_ASSIGN_OR_RETURN(pb::StatusResponse status, client->MemberStatus());
  LOG_INFO("etcd connected endpoint={} version={} cluster_id={:x} user={}",
           client->endpoints_[client->answered_.load()].endpoint.url, status.version(),
           status.header().cluster_id(),
           client->options_.user.empty() ? "(none)" : client->options_.user);
  return client;
}

std::unique_ptr<grpc::ClientContext> EtcdClient::NewContext(const std::string& token,
                                                            absl::Time deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (deadline != absl::InfiniteFuture()) {
    context->set_deadline(absl::ToChronoTime(deadline));
  }
  context->AddMetadata(kRequireLeaderKey, kRequireLeaderValue);
  if (!token.empty()) {
    context->AddMetadata(kTokenKey, token);
  }
  return context;
}

std::string EtcdClient::CurrentToken() const {
  std::lock_guard lock(token_mu_);
  return token_;
}

bool EtcdClient::Connected(int i, absl::Time deadline) {
  grpc::Channel& channel = *endpoints_[i].channel;
  // gRPC moves a channel on (a finished connect, a reconnect after backoff) only while some
  // thread polls it, as WaitForStateChange does; merely looking at the state, then sleeping,
  // would leave a channel in TRANSIENT_FAILURE until gRPC's 5 s backup poller, long after its
  // member came back. A failed channel gets a short wait, enough for a due reconnect.
  const absl::Time failed_until = std::min(deadline, absl::Now() + kFailedChannelWait);
  grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_SHUTDOWN) {
      return false;
    }
    const absl::Time until = state == GRPC_CHANNEL_TRANSIENT_FAILURE ? failed_until : deadline;
    if (!channel.WaitForStateChange(state, absl::ToChronoTime(until))) {
      return false;
    }
    state = channel.GetState(/*try_to_connect=*/true);
  }
  return true;
}

void EtcdClient::NoteSuccess(int i) {
  const int previous = answered_.exchange(i);
  preferred_.store(i);
  if (previous == i) {
    return;
  }
  // The first answer is Connect's status call, which logs the connection itself.
  if (previous >= 0) {
    LOG_INFO("etcd endpoint failover from={} to={}", endpoints_[previous].endpoint.url,
             endpoints_[i].endpoint.url);
  }
}

void EtcdClient::ReportFailure(int endpoint, absl::string_view cause) {
  int expected = endpoint;
  const int next = (endpoint + 1) % static_cast<int>(endpoints_.size());
  if (preferred_.compare_exchange_strong(expected, next)) {
    LOG_DEBUG("etcd endpoint failed endpoint={} error=\"{}\"", endpoints_[endpoint].endpoint.url,
              std::string(cause));
  }
}

bool EtcdClient::SleepUnlessClosed(absl::Duration duration) {
  std::unique_lock lock(close_mu_);
  return !close_cv_.wait_for(lock, absl::ToChronoNanoseconds(duration),
                             [this] { return closed_.load(); });
}

absl::Status EtcdClient::Unavailable(absl::string_view what, absl::string_view last_error) const {
  return absl::UnavailableError(absl::StrCat(
      "etcd unavailable: ", what, " got no answer from ", options_.EndpointList(), " within ",
      absl::FormatDuration(options_.timeout), " (last error: ", last_error, ")"));
}

absl::Status EtcdClient::Call(absl::string_view what, Retry retry, bool authenticated,
                              const Invoke& invoke) {
  const absl::Time deadline = absl::Now() + options_.timeout;
  const int n = static_cast<int>(endpoints_.size());
  std::string last_error = "no member could be reached";
  bool reauthenticated = false;
  for (int round = 0;; ++round) {
    const int start = preferred_.load();
    for (int k = 0; k < n; ++k) {
      const int i = (start + k) % n;
      const std::string& url = endpoints_[i].endpoint.url;
      if (closed_) {
        return absl::CancelledError("etcd client is closed");
      }
      if (absl::Now() >= deadline) {
        return Unavailable(what, last_error);
      }
      if (!Connected(i, std::min(deadline, absl::Now() + kConnectBudget))) {
        last_error = absl::StrCat(url, ": cannot connect");
        ReportFailure(i, "cannot connect");
        continue;
      }
      const std::string token = authenticated ? CurrentToken() : std::string();
      std::unique_ptr<grpc::ClientContext> context = NewContext(token, deadline);
      const grpc::Status status = invoke(endpoints_[i], context.get());
      if (status.ok()) {
        NoteSuccess(i);
        return absl::OkStatus();
      }
      if (!token.empty() && IsStaleToken(status) && !reauthenticated) {
        reauthenticated = true;
        PN_RETURN_IF_ERROR(Reauthenticate(token));
        --k;  // the same member again, with the new token
        continue;
      }
      if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        return Unavailable(
            what,
            absl::StrCat(
                url, ": no answer before the deadline (is the quorum lost?)",
                retry == Retry::kAlways ? "" : "; the request may or may not have been applied"));
      }
      const bool refused = SurelyNotApplied(status);
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE && !refused) {
        return MapEtcdError(status, what, i);
      }
      last_error = absl::StrCat(url, ": ", status.error_message());
      ReportFailure(i, status.error_message());
      if (retry == Retry::kOnlyIfNotSent && !refused) {
        return absl::UnavailableError(
            absl::StrCat("etcd ", what, " at ", url, " failed after it was sent (",
                         status.error_message(), "); it may or may not have been applied"));
      }
    }
    // No member answered this round: pause briefly (a leader election takes a few hundred ms).
    const absl::Duration pause =
        std::min(absl::Milliseconds(50) * (1 << std::min(round, 3)), deadline - absl::Now());
    if (pause > absl::ZeroDuration() && !SleepUnlessClosed(pause)) {
      return absl::CancelledError("etcd client is closed");
    }
  }
}

absl::Status EtcdClient::MapEtcdError(const grpc::Status& status, absl::string_view what,
                                      int endpoint) const {
  const std::string prefix =
      absl::StrCat("etcd ", what, " at ", endpoints_[endpoint].endpoint.url, ": ");
  const std::string& message = status.error_message();
  if (Says(status, "too many operations in txn request")) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, message, "; the transaction has more operations than the cluster's --max-txn-ops ",
        "allows (the store URL's max-txn-ops=", options_.max_txn_ops, " must not exceed it)"));
  }
  if (Says(status, "duplicate key given in txn request")) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, message, "; etcd refuses a transaction that writes one key twice"));
  }
  if (Says(status, "request is too large") ||
      (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
       Says(status, "larger than max"))) {
    return absl::ResourceExhaustedError(absl::StrCat(
        prefix, message, "; the request is larger than the cluster's --max-request-bytes allows"));
  }
  if (Says(status, "authentication failed")) {
    return absl::UnauthenticatedError(
        absl::StrCat(prefix, "user '", options_.user, "' was refused: ", message));
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(prefix, message));
}

absl::StatusOr<std::string> EtcdClient::Authenticate() {
  pb::AuthenticateRequest request;
  request.set_name(options_.user);
  request.set_password(options_.password);
  pb::AuthenticateResponse response;
  PN_RETURN_IF_ERROR(Call("Authenticate", Retry::kAlways, /*authenticated=*/false,
                          [&](Endpoint& e, grpc::ClientContext* context) {
                            return e.auth->Authenticate(context, request, &response);
                          }));
  return response.token();
}

absl::Status EtcdClient::Reauthenticate(const std::string& stale_token) {
  if (options_.user.empty()) {
    return absl::OkStatus();
  }
  std::lock_guard auth_lock(auth_mu_);
  if (CurrentToken() != stale_token) {
    return absl::OkStatus();  // another thread renewed it meanwhile
  }
  PN_ASSIGN_OR_RETURN(std::string token, Authenticate());
  {
    std::lock_guard lock(token_mu_);
    token_ = std::move(token);
  }
  LOG_INFO("etcd token renewed user={}", options_.user);
  return absl::OkStatus();
}

absl::StatusOr<pb::RangeResponse> EtcdClient::Range(const pb::RangeRequest& request) {
  pb::RangeResponse response;
  PN_RETURN_IF_ERROR(Call("Range", Retry::kAlways, true, [&](Endpoint& e, grpc::ClientContext* c) {
    response.Clear();
    return e.kv->Range(c, request, &response);
  }));
  return response;
}

absl::StatusOr<pb::TxnResponse> EtcdClient::Txn(const pb::TxnRequest& request) {
  pb::TxnResponse response;
  PN_RETURN_IF_ERROR(
      Call("Txn", Retry::kOnlyIfNotSent, true, [&](Endpoint& e, grpc::ClientContext* c) {
        response.Clear();
        return e.kv->Txn(c, request, &response);
      }));
  return response;
}

absl::StatusOr<pb::CompactionResponse> EtcdClient::Compact(const pb::CompactionRequest& request) {
  pb::CompactionResponse response;
  PN_RETURN_IF_ERROR(
      Call("Compact", Retry::kOnlyIfNotSent, true, [&](Endpoint& e, grpc::ClientContext* c) {
        response.Clear();
        return e.kv->Compact(c, request, &response);
      }));
  return response;
}

absl::StatusOr<pb::LeaseGrantResponse> EtcdClient::LeaseGrant(
    const pb::LeaseGrantRequest& request) {
  pb::LeaseGrantResponse response;
  PN_RETURN_IF_ERROR(
      Call("LeaseGrant", Retry::kOnlyIfNotSent, true, [&](Endpoint& e, grpc::ClientContext* c) {
        response.Clear();
        return e.lease->LeaseGrant(c, request, &response);
      }));
  return response;
}

absl::StatusOr<pb::LeaseRevokeResponse> EtcdClient::LeaseRevoke(
    const pb::LeaseRevokeRequest& request) {
  pb::LeaseRevokeResponse response;
  PN_RETURN_IF_ERROR(
      Call("LeaseRevoke", Retry::kOnlyIfNotSent, true, [&](Endpoint& e, grpc::ClientContext* c) {
        response.Clear();
        return e.lease->LeaseRevoke(c, request, &response);
      }));
  return response;
}

absl::StatusOr<pb::LeaseTimeToLiveResponse> EtcdClient::LeaseTimeToLive(
    const pb::LeaseTimeToLiveRequest& request) {
  pb::LeaseTimeToLiveResponse response;
  PN_RETURN_IF_ERROR(
      Call("LeaseTimeToLive", Retry::kAlways, true, [&](Endpoint& e, grpc::ClientContext* c) {
        response.Clear();
        return e.lease->LeaseTimeToLive(c, request, &response);
      }));
  return response;
}

absl::StatusOr<pb::LeaseKeepAliveResponse> EtcdClient::LeaseKeepAliveOnce(int64_t lease_id) {
  pb::LeaseKeepAliveRequest request;
  request.set_id(lease_id);
  pb::LeaseKeepAliveResponse response;
  // Renewing twice is harmless, so this may go to another member whatever happened.
  PN_RETURN_IF_ERROR(
      Call("LeaseKeepAlive", Retry::kAlways, true, [&](Endpoint& e, grpc::ClientContext* c) {
        response.Clear();
        std::unique_ptr<
            grpc::ClientReaderWriter<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>>
            stream = e.lease->LeaseKeepAlive(c);
        if (stream->Write(request)) {
          stream->WritesDone();
        }
        // etcd answers a renewal before it reads the end of the stream.
        const bool answered = stream->Read(&response);
        pb::LeaseKeepAliveResponse extra;
        while (stream->Read(&extra)) {
        }
        const grpc::Status status = stream->Finish();
        if (status.ok() && !answered) {
          return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "keep-alive stream ended without an answer");
        }
        return status;
      }));
  return response;
}

absl::StatusOr<pb::StatusResponse> EtcdClient::MemberStatus() {
  pb::StatusResponse response;
  PN_RETURN_IF_ERROR(Call("Status", Retry::kAlways, true, [&](Endpoint& e, grpc::ClientContext* c) {
    response.Clear();
    return e.maintenance->Status(c, pb::StatusRequest(), &response);
  }));
  return response;
}

template <typename Stream, typename Start>
absl::StatusOr<std::unique_ptr<Stream>> EtcdClient::Open(absl::string_view what,
                                                         const Start& start) {
  const absl::Time deadline = absl::Now() + options_.timeout;
  const int n = static_cast<int>(endpoints_.size());
  for (int round = 0;; ++round) {
    const int first = preferred_.load();
    for (int k = 0; k < n; ++k) {
      const int i = (first + k) % n;
      if (closed_) {
        return absl::CancelledError("etcd client is closed");
      }
      if (absl::Now() >= deadline) {
        return Unavailable(what, "no member could be reached");
      }
      if (!Connected(i, std::min(deadline, absl::Now() + kConnectBudget))) {
        ReportFailure(i, "cannot connect");
        continue;
      }
      const std::string token = CurrentToken();
      std::unique_ptr<Stream> stream(
          new Stream(shared_from_this(), i, token, NewContext(token, absl::InfiniteFuture())));
      Register(stream->context_.get());
      stream->stream_ = start(endpoints_[i], stream->context_.get());
      return stream;
    }
    const absl::Duration pause =
        std::min(absl::Milliseconds(50) * (1 << std::min(round, 3)), deadline - absl::Now());
    if (pause > absl::ZeroDuration() && !SleepUnlessClosed(pause)) {
      return absl::CancelledError("etcd client is closed");
    }
  }
}

absl::StatusOr<std::unique_ptr<WatchStream>> EtcdClient::OpenWatch() {
  return Open<WatchStream>(
      "Watch", [](Endpoint& e, grpc::ClientContext* context) { return e.watch->Watch(context); });
}

absl::StatusOr<std::unique_ptr<LeaseKeepAliveStream>> EtcdClient::OpenLeaseKeepAlive() {
  return Open<LeaseKeepAliveStream>(
      "LeaseKeepAlive",
      [](Endpoint& e, grpc::ClientContext* context) { return e.lease->LeaseKeepAlive(context); });
}

void EtcdClient::Register(grpc::ClientContext* context) {
  std::lock_guard lock(streams_mu_);
  streams_.insert(context);
  if (closed_) {
    context->TryCancel();
  }
}

void EtcdClient::Forget(grpc::ClientContext* context) {
  std::lock_guard lock(streams_mu_);
  streams_.erase(context);
}

void EtcdClient::Shutdown() {
  {
    std::lock_guard lock(close_mu_);
    if (closed_.exchange(true)) {
      return;
    }
  }
  close_cv_.notify_all();
  std::lock_guard lock(streams_mu_);
  for (grpc::ClientContext* context : streams_) {
    context->TryCancel();
  }
}

}  // namespace plasmanet::store::etcd
