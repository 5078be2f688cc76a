// EtcdClient: one connection to an etcd v3 cluster, shared by the etcd store, its watchers and
// (later) leader election. It speaks etcd's own messages (proto/etcd/); the Store semantics live
// in EtcdStore.
//
//   PN_ASSIGN_OR_RETURN(EtcdOptions options, ParseEtcdUrl("http://127.0.0.1:2379"));
//   PN_ASSIGN_OR_RETURN(std::shared_ptr<EtcdClient> etcd, EtcdClient::Connect(options));
//   etcdserverpb::LeaseGrantRequest grant;
//   grant.set_ttl(10);
//   PN_ASSIGN_OR_RETURN(etcdserverpb::LeaseGrantResponse lease, etcd->LeaseGrant(grant));
//
// Endpoints: one gRPC channel per endpoint. Calls go to the member last known to work; when it
// cannot be reached, or answers that it has no leader, the call moves on to the next endpoint,
// round after round with a short backoff, until the call's deadline. Every call carries etcd's
// "hasleader" metadata, so a member cut off from the quorum refuses at once instead of
// stalling. A mutation (Txn, Compact, lease calls) is sent again elsewhere only when it surely
// was not applied: the member was not connected, or refused for want of a leader; if the
// connection breaks after it was sent, the call fails with UNAVAILABLE saying the outcome is
// unknown.
//
// Errors: UNAVAILABLE naming every endpoint when no member answers within the deadline (also
// when the deadline passes while a member waits for a quorum); CANCELLED after Shutdown();
// otherwise etcd's own gRPC code and message, made explicit where etcd's are terse (too many
// operations, duplicate keys, request too large: see MapEtcdError).
//
// Authentication: with a user, the client calls Auth.Authenticate and sends the token as
// "token" metadata; when a member says the token is invalid (expired, or the member restarted)
// it authenticates again once and repeats the call.
//
// Thread-safe. Keep it in a shared_ptr: streams and watchers hold on to it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/etcd/etcd_options.h"

namespace plasmanet::store::etcd {

class EtcdClient;

// A bidirectional stream (Watch or LeaseKeepAlive) opened on one member. Not thread-safe, except
// Cancel(), which any thread may call. Destroying it cancels the stream.
template <typename Request, typename Response>
class EtcdStream {
 public:
  using RequestType = Request;
  using ResponseType = Response;

  EtcdStream(const EtcdStream&) = delete;
  EtcdStream& operator=(const EtcdStream&) = delete;
  ~EtcdStream();

  bool Write(const Request& request) { return stream_->Write(request); }
  // Blocks until a message arrives; false once the stream has ended (then call Finish).
  bool Read(Response* response) { return stream_->Read(response); }
  // The stream's final status, after Read returned false, mapped as unary calls are. Call once.
  absl::Status Finish();
  // Makes a blocked Read return false soon. Thread-safe.
  void Cancel() { context_->TryCancel(); }

  // The member this stream runs on, and the token it was opened with ("" without auth).
  const EtcdEndpoint& endpoint() const;
  int endpoint_index() const { return endpoint_; }
  const std::string& token() const { return token_; }

 private:
  friend class EtcdClient;
  EtcdStream(std::shared_ptr<EtcdClient> client, int endpoint, std::string token,
             std::unique_ptr<grpc::ClientContext> context)
      : client_(std::move(client)),
        endpoint_(endpoint),
        token_(std::move(token)),
        context_(std::move(context)) {}

  std::shared_ptr<EtcdClient> client_;
  int endpoint_;
  std::string token_;
  std::unique_ptr<grpc::ClientContext> context_;
  // Declared after the context: destroyed first.
  std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream_;
  bool finished_ = false;
};

using WatchStream = EtcdStream<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;
using LeaseKeepAliveStream =
    EtcdStream<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>;

class EtcdClient : public std::enable_shared_from_this<EtcdClient> {
 public:
  // Makes the channels, authenticates if options.user is set, and asks a member for its status
  // so that a wrong address or password fails here rather than on the first write. Errors:
  // UNAVAILABLE if no endpoint answers within options.timeout; UNAUTHENTICATED for a rejected
  // user or password.
  static absl::StatusOr<std::shared_ptr<EtcdClient>> Connect(EtcdOptions options);
  ~EtcdClient();

  // KV. Range is linearizable (it needs the quorum) unless request.serializable is set.
  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  absl::StatusOr<etcdserverpb::CompactionResponse> Compact(
      const etcdserverpb::CompactionRequest& request);

  // Lease: a key put with a lease disappears when the lease expires or is revoked.
  absl::StatusOr<etcdserverpb::LeaseGrantResponse> LeaseGrant(
      const etcdserverpb::LeaseGrantRequest& request);
  absl::StatusOr<etcdserverpb::LeaseRevokeResponse> LeaseRevoke(
      const etcdserverpb::LeaseRevokeRequest& request);
  absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse> LeaseTimeToLive(
      const etcdserverpb::LeaseTimeToLiveRequest& request);
  // Renews `lease_id` once over a short-lived LeaseKeepAlive stream. The response's TTL is the
  // new time to live in seconds; a TTL <= 0 means the lease is gone. Call it a few times per TTL,
  // or keep an OpenLeaseKeepAlive() stream for frequent renewals.
  absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> LeaseKeepAliveOnce(int64_t lease_id);

  // Status of the member calls currently go to.
  absl::StatusOr<etcdserverpb::StatusResponse> MemberStatus();

  // Opens a stream on the member calls currently go to (or the next one that can be reached
  // before options.timeout). The stream has no deadline. UNAVAILABLE if no member can be
  // reached; CANCELLED after Shutdown().
  absl::StatusOr<std::unique_ptr<WatchStream>> OpenWatch();
  absl::StatusOr<std::unique_ptr<LeaseKeepAliveStream>> OpenLeaseKeepAlive();

  // A stream on `endpoint` broke or misbehaved: later calls and streams start at another member.
  void ReportFailure(int endpoint, absl::string_view cause);
  // After a member refused `stale_token`: authenticates again unless another thread already
  // replaced that token. OK without auth.
  absl::Status Reauthenticate(const std::string& stale_token);

  // Cancels every open stream; later calls fail with CANCELLED. Idempotent.
  void Shutdown();
  bool closed() const { return closed_.load(); }
  // Waits up to `duration`, returning early (false) once Shutdown() is called.
  bool SleepUnlessClosed(absl::Duration duration);

  const EtcdOptions& options() const { return options_; }
  const EtcdEndpoint& endpoint(int i) const { return endpoints_[i].endpoint; }
  // Index into options().endpoints of the member the next call tries first.
  int preferred_endpoint() const { return preferred_.load(); }

  // Turns a failed call's gRPC status into a Status whose message names the member and, for
  // etcd's limits, the server flag to raise. `what` names the call ("Txn").
  absl::Status MapEtcdError(const grpc::Status& status, absl::string_view what, int endpoint) const;

 private:
  template <typename Request, typename Response>
  friend class EtcdStream;

  struct Endpoint {
    EtcdEndpoint endpoint;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
    std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
    std::unique_ptr<etcdserverpb::Auth::Stub> auth;
  };
  // How a call may be repeated on another member after an UNAVAILABLE answer.
  enum class Retry { kAlways, kOnlyIfNotSent };
  using Invoke = std::function<grpc::Status(Endpoint&, grpc::ClientContext*)>;

  explicit EtcdClient(EtcdOptions options);

  // Runs `invoke` against the members in turn, as described in the file comment.
  absl::Status Call(absl::string_view what, Retry retry, bool authenticated, const Invoke& invoke);
  // Opens a stream with `start` on the first member that can be reached (see OpenWatch).
  template <typename Stream, typename Start>
  absl::StatusOr<std::unique_ptr<Stream>> Open(absl::string_view what, const Start& start);
  // Waits until endpoint i's channel is connected, at most until `deadline`; false if it fails
  // to connect (or is in reconnect backoff).
  bool Connected(int i, absl::Time deadline);
  std::unique_ptr<grpc::ClientContext> NewContext(const std::string& token,
                                                  absl::Time deadline) const;
  std::string CurrentToken() const;
  absl::StatusOr<std::string> Authenticate();
  void NoteSuccess(int i);
  absl::Status Unavailable(absl::string_view what, absl::string_view last_error) const;
  void Register(grpc::ClientContext* context);
  void Forget(grpc::ClientContext* context);

  // Constant after construction.
  const EtcdOptions options_;
  std::vector<Endpoint> endpoints_;

  // The endpoint calls start at, and the one that last answered (for the failover log line).
  std::atomic<int> preferred_{0};
  std::atomic<int> answered_{-1};
  std::atomic<bool> closed_{false};

  mutable std::mutex token_mu_;
  std::string token_;   // guarded by token_mu_
  std::mutex auth_mu_;  // one Authenticate at a time

  std::mutex streams_mu_;
  std::set<grpc::ClientContext*> streams_;  // guarded by streams_mu_

  std::mutex close_mu_;
  std::condition_variable close_cv_;
};

}  // namespace plasmanet::store::etcd
