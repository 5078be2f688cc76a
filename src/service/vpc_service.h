// VpcService: create, read, list and delete VPCs. Thread-safe.
#pragma once

#include <string>

#include <absl/status/statusor.h>

#include "model/vpc.h"
#include "service/service_core.h"

namespace plasmanet::service {

class VpcService {
 public:
  explicit VpcService(ServiceCore& core) : core_(core) {}

  // INVALID_ARGUMENT naming the field; PERMISSION_DENIED for readers.
  absl::StatusOr<model::Vpc> Create(const RequestContext& ctx, const model::VpcSpec& spec);
  // NOT_FOUND unless the caller may read it.
  absl::StatusOr<model::Vpc> Get(const RequestContext& ctx, const std::string& id);
  // `name`: only VPCs of that name (empty: all).
  absl::StatusOr<ListPage<model::Vpc>> List(const RequestContext& ctx, const ListOptions& options,
                                            const std::string& name = "");
  // Name and labels. ABORTED if `etag` is given and stale.
  absl::StatusOr<model::Vpc> Update(const RequestContext& ctx, const std::string& id,
                                    const std::string& etag, const MetaUpdate& update);
  // FAILED_PRECONDITION while the VPC has subnets.
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

 private:
  ServiceCore& core_;
};

}  // namespace plasmanet::service
