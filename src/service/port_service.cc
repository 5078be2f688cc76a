#include "service/port_service.h"

#include "model/floating_ip.h"

namespace plasmanet::service {

using auth::Kind;
using keys::Relation;
using store::Compare;
using store::Op;

namespace {

// Index of each compare in the transaction, so a failure can be explained.
enum class Guard { kOther, kMac, kRequestedIp, kProposedIp };

struct AddressClaim {
  IpAddress address;
  bool requested;     // asked for by the caller (a conflict is their error)
  size_t spec_index;  // position in spec.fixed_ips, for the error's field
};

}  // namespace

absl::StatusOr<model::Port> PortService::Create(const RequestContext& ctx,
                                                const model::PortSpec& spec) {
  int attempt = 0;
  return core_.RetryOnConflict<model::Port>("create port",
                                            [&] { return TryCreate(ctx, spec, attempt++ > 0); });
}

absl::StatusOr<std::optional<model::Port>> PortService::TryCreate(const RequestContext& ctx,
                                                                  const model::PortSpec& spec,
                                                                  bool retry) {
  PN_ASSIGN_OR_RETURN(std::optional<model::Port> replay,
                      core_.Replay<model::Port>(ctx, "CreatePort"));
  if (replay.has_value()) return replay;
  // Subnet and authorization: a port lives in its subnet's project.
  // From the cache unless retrying: the transaction below guards the subnet's revision.
  PN_ASSIGN_OR_RETURN(
      std::shared_ptr<const model::Subnet> cached_subnet,
      core_.LoadVisibleCached<model::Subnet>(ctx.principal, Kind::kSubnet, spec.subnet_id,
                                             "port.subnet_id", subnets_, /*fresh=*/retry));
  const model::Subnet& subnet = *cached_subnet;
  const auth::Scope scope{subnet.meta.org_id, subnet.meta.project_id};
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kPort, scope));
  PN_ASSIGN_OR_RETURN(model::PortDraft draft, model::BuildPort(spec, subnet));
  model::Port& port = draft.port;
  core_.StampNew(port.meta, scope);

  store::Txn txn;
  std::vector<Guard> guards;
  const auto guard = [&](Compare c, Guard g) {
    txn.compares.push_back(std::move(c));
    guards.push_back(g);
  };
  guard(Compare::ModRevisionIs(keys::Object(Kind::kSubnet, subnet.meta.id), subnet.meta.revision),
        Guard::kOther);
  guard(Compare::Absent(keys::Object(Kind::kPort, port.meta.id)), Guard::kOther);
  // The quota slot; its guard is kOther: losing it only means another server was quicker.
  PN_ASSIGN_OR_RETURN(const int quota_guard, core_.ClaimQuota(Kind::kPort, port.meta, txn));
  if (quota_guard >= 0) guards.push_back(Guard::kOther);

  // Security groups: named ones must be visible and of the port's project.
  if (draft.use_default_group) {
    PN_ASSIGN_OR_RETURN(DefaultGroupPlan plan, groups_.PlanDefaultGroup(scope, /*fresh=*/retry));
    for (Compare& c : plan.compares) guard(std::move(c), Guard::kOther);
    for (Op& op : plan.ops) txn.ops.push_back(std::move(op));
    port.security_group_ids = {plan.group_id};
  }
  for (size_t i = 0; i < port.security_group_ids.size() && !draft.use_default_group; ++i) {
    const std::string& id = port.security_group_ids[i];
    const std::string field = absl::StrCat("port.security_group_ids[", i, "]");
    PN_ASSIGN_OR_RETURN(
        model::SecurityGroup group,
        core_.LoadVisible<model::SecurityGroup>(ctx.principal, Kind::kSecurityGroup, id, field));
    if (group.meta.org_id != scope.org_id || group.meta.project_id != scope.project_id) {
      return FieldError(absl::StatusCode::kNotFound, field,
                        absl::StrCat("security_group ", id, " not found"));
    }
    guard(Compare::Exists(keys::Object(Kind::kSecurityGroup, id)), Guard::kOther);
  }

  // MAC: unique on the segment.
  if (draft.generate_mac) port.mac = core_.ids().NewMac();
  guard(Compare::Absent(keys::Mac(subnet.meta.id, port.mac)), Guard::kMac);

  // Addresses: requested ones are checked, missing families allocated. The allocator's answer
  // is only a proposal until the commit creates the address key.
  std::vector<AddressClaim> claims;
  for (size_t i = 0; i < port.fixed_ips.size(); ++i) {
    claims.push_back({port.fixed_ips[i], true, i});
  }
  if (subnet.ipv6_slaac()) {
    // Unique because the MAC is unique on the segment (guarded above).
    claims.push_back({model::Eui64Address(subnet.ipv6->cidr, port.mac), true, 0});
  }
  absl::Status status;
  for (IpFamily family : draft.families_to_allocate) {
    absl::StatusOr<IpAddress> ip =
        core_.ipam().Propose(subnet.meta.id, *subnet.family(family), retry);
    if (!ip.ok()) {
      status = ip.status();
      break;
    }
    claims.push_back({*ip, false, 0});
  }
  const auto release_proposals = [&](const IpAddress* keep) {
    for (const AddressClaim& c : claims) {
      if (!c.requested && (keep == nullptr || !(c.address == *keep))) {
        core_.ipam().Release(subnet.meta.id, *subnet.family(c.address.family()), c.address);
      }
    }
  };
  if (!status.ok()) {
    release_proposals(nullptr);
    return status;
  }
  port.fixed_ips.clear();
  for (const AddressClaim& c : claims) {
    port.fixed_ips.push_back(c.address);
    guard(Compare::Absent(keys::Ipam(subnet.meta.id, c.address)),
          c.requested ? Guard::kRequestedIp : Guard::kProposedIp);
  }
  std::sort(port.fixed_ips.begin(), port.fixed_ips.end());

  // The port and every key that makes it unique or findable, in one transaction.
  const std::string encoded = model::Encode(port);
  txn.ops.push_back(Op::Put(keys::Object(Kind::kPort, port.meta.id), encoded));
  txn.ops.push_back(Op::Put(keys::ScopeEntry(scope, Kind::kPort, port.meta.id), ""));
  txn.ops.push_back(Op::Put(keys::Child(Relation::kSubnetPorts, subnet.meta.id, port.meta.id), ""));
  for (const std::string& group : port.security_group_ids) {
    txn.ops.push_back(Op::Put(keys::Child(Relation::kGroupPorts, group, port.meta.id), ""));
  }
  txn.ops.push_back(Op::Put(keys::Mac(subnet.meta.id, port.mac), port.meta.id));
  for (const IpAddress& ip : port.fixed_ips) {
    txn.ops.push_back(Op::Put(keys::Ipam(subnet.meta.id, ip), port.meta.id));
  }

  absl::StatusOr<store::TxnResult> result =
      core_.Commit(ctx, "CreatePort", std::move(txn), encoded);
  core_.SettleQuota(Kind::kPort, port.meta, result.ok() && result->succeeded && !ctx.validate_only,
                    result.ok() && result->failed_compare == quota_guard);
  if (!result.ok()) {
    release_proposals(nullptr);
    return result.status();
  }
  if (result->succeeded && ctx.validate_only) {
    release_proposals(nullptr);  // nothing was written: the addresses stay free
    port.meta.revision = result->revision;
    return std::optional<model::Port>(std::move(port));
  }
  if (result->succeeded) {
    port.meta.revision = result->revision;
    for (const AddressClaim& c : claims) {
      if (c.requested)
        core_.ipam().MarkUsed(subnet.meta.id, *subnet.family(c.address.family()), c.address);
    }
    LOG_DEBUG("port created port={} subnet={} mac={} revision={}", port.meta.id, subnet.meta.id,
              port.mac.ToString(), port.meta.revision);
    return std::optional<model::Port>(std::move(port));
  }

  // A compare failed: explain it to the caller, or learn from it and try again.
  const size_t failed = static_cast<size_t>(result->failed_compare);
  const Guard failed_guard = guards[failed];
  if (failed_guard == Guard::kMac && !draft.generate_mac) {
    release_proposals(nullptr);
    return FieldError(
        absl::StatusCode::kAlreadyExists, "port.mac_address",
        absl::StrCat(port.mac.ToString(), " is already used on subnet ", subnet.meta.id));
  }
  const size_t first_ip_guard = guards.size() - claims.size();
  if (failed >= first_ip_guard) {
    const AddressClaim& claim = claims[failed - first_ip_guard];
    if (claim.requested) {
      release_proposals(nullptr);
      return FieldError(absl::StatusCode::kAlreadyExists,
                        absl::StrCat("port.fixed_ips[", claim.spec_index, "]"),
                        absl::StrCat(claim.address.ToString(), " is already in use"));
    }
    // Another server allocated from this subnet behind our back: our allocator is stale, so
    // reload it from the store rather than learn one address per attempt.
    release_proposals(&claim.address);
    core_.ipam().Forget(subnet.meta.id);
    return std::optional<model::Port>();
  }
  release_proposals(nullptr);
  return std::optional<model::Port>();
}

absl::Status PortService::CheckFence(const store::Compare& fence) {
  // The compare in the transaction is what guarantees it; reading first only spares a deposed
  // leader the retries of a transaction that cannot succeed.
  PN_ASSIGN_OR_RETURN(std::optional<store::KeyValue> leader, core_.store().Get(fence.key));
  const int64_t created = leader.has_value() ? leader->create_revision : 0;
  if (!store::CompareHolds(fence,
                           {.count = leader.has_value() ? 1 : 0, .min = created, .max = created})) {
    return absl::FailedPreconditionError(absl::StrCat("this replica's term (epoch ", fence.value,
                                                      ") is over: another replica leads now"));
  }
  return absl::OkStatus();
}

absl::Status PortService::RecordBinding(const std::string& id, model::PortStatus status,
                                        const std::string& chassis,
                                        const std::optional<store::Compare>& fence) {
  const RequestContext system{
      .principal = {.subject = "plasmanet-reconciler",
                    .scope = {std::string(auth::kAnyScope), std::string(auth::kAnyScope)},
                    .roles = {auth::Role::kAdmin}}};
  PN_ASSIGN_OR_RETURN(std::optional<model::Port> port, core_.Load<model::Port>(Kind::kPort, id));
  if (!port.has_value()) return absl::NotFoundError(absl::StrCat("port ", id, " not found"));
  if (port->status == status && port->binding_chassis == chassis) return absl::OkStatus();
  return core_
      .Update<model::Port>(system, "RecordPortBinding", Kind::kPort, id, /*etag=*/"",
                           [&](model::Port& current) -> absl::StatusOr<store::Txn> {
                             current.status = status;
                             current.binding_chassis = chassis;
                             store::Txn txn;
                             if (fence.has_value()) {
                               PN_RETURN_IF_ERROR(CheckFence(*fence));
                               txn.compares.push_back(*fence);
                             }
                             return txn;
                           })
      .status();
}

absl::StatusOr<model::Port> PortService::Update(const RequestContext& ctx, const std::string& id,
                                                const std::string& etag, const PortUpdate& update) {
  return core_.Update<model::Port>(
      ctx, "UpdatePort", Kind::kPort, id, etag,
      [&](model::Port& port) -> absl::StatusOr<store::Txn> {
        PN_RETURN_IF_ERROR(ServiceCore::ApplyMeta(Kind::kPort, update.meta, port.meta));
        PN_ASSIGN_OR_RETURN(std::optional<model::Subnet> subnet,
                            core_.Load<model::Subnet>(Kind::kSubnet, port.subnet_id));
        if (!subnet.has_value()) {
          return absl::FailedPreconditionError(
              absl::StrCat("subnet ", port.subnet_id, " of port ", id, " is gone"));
        }
        // The port as it would be, checked with exactly the rules of a create.
        model::PortSpec merged{
            .subnet_id = port.subnet_id,
            .mac_address = port.mac.ToString(),
            .security_group_ids = update.security_group_ids.value_or(port.security_group_ids),
            .port_security_enabled =
                update.port_security_enabled.value_or(port.port_security_enabled),
            .device_id = update.device_id.value_or(port.device_id),
            .device_owner = update.device_owner.value_or(port.device_owner),
            .extra_dhcp_options = update.extra_dhcp_options.value_or(port.extra_dhcp_options)};
        for (const IpAddress& ip : port.fixed_ips) merged.fixed_ips.push_back(ip.ToString());
        if (update.allowed_address_pairs.has_value()) {
          merged.allowed_address_pairs = *update.allowed_address_pairs;
        } else {
          for (const model::AllowedAddressPair& pair : port.allowed_address_pairs) {
            merged.allowed_address_pairs.push_back(
                {pair.prefix.ToString(), pair.mac ? pair.mac->ToString() : ""});
          }
        }
        PN_ASSIGN_OR_RETURN(model::PortDraft draft, model::BuildPort(merged, *subnet));

        store::Txn txn;
        const std::vector<std::string>& wanted = draft.port.security_group_ids;
        for (size_t i = 0; i < wanted.size(); ++i) {
          const std::string field = absl::StrCat("port.security_group_ids[", i, "]");
          PN_ASSIGN_OR_RETURN(model::SecurityGroup group,
                              core_.LoadVisible<model::SecurityGroup>(
                                  ctx.principal, Kind::kSecurityGroup, wanted[i], field));
          if (group.meta.org_id != port.meta.org_id ||
              group.meta.project_id != port.meta.project_id) {
            return FieldError(absl::StatusCode::kNotFound, field,
                              absl::StrCat("security_group ", wanted[i], " not found"));
          }
          txn.compares.push_back(Compare::Exists(keys::Object(Kind::kSecurityGroup, wanted[i])));
        }
        // Group membership index: drop the groups left, add the groups joined.
        for (const std::string& g : port.security_group_ids) {
          if (std::find(wanted.begin(), wanted.end(), g) == wanted.end()) {
            txn.ops.push_back(Op::Delete(keys::Child(Relation::kGroupPorts, g, id)));
          }
        }
        for (const std::string& g : wanted) {
          if (std::find(port.security_group_ids.begin(), port.security_group_ids.end(), g) ==
              port.security_group_ids.end()) {
            txn.ops.push_back(Op::Put(keys::Child(Relation::kGroupPorts, g, id), ""));
          }
        }
        port.security_group_ids = wanted;
        port.port_security_enabled = draft.port.port_security_enabled;
        port.allowed_address_pairs = draft.port.allowed_address_pairs;
        port.device_id = draft.port.device_id;
        port.device_owner = draft.port.device_owner;
        port.extra_dhcp_options = draft.port.extra_dhcp_options;
        return txn;
      });
}

absl::StatusOr<model::Port> PortService::Get(const RequestContext& ctx, const std::string& id) {
  return core_.LoadVisible<model::Port>(ctx.principal, Kind::kPort, id, "port_id");
}

absl::StatusOr<ListPage<model::Port>> PortService::List(const RequestContext& ctx,
                                                        const ListOptions& options,
                                                        const PortFilter& filter) {
  return core_.List<model::Port>(ctx.principal, Kind::kPort, options, [&](const model::Port& p) {
    return (filter.subnet_id.empty() || p.subnet_id == filter.subnet_id) &&
           (filter.vpc_id.empty() || p.vpc_id == filter.vpc_id) &&
           (filter.device_id.empty() || p.device_id == filter.device_id) &&
           (filter.name.empty() || p.meta.name == filter.name);
  });
}

absl::Status PortService::Watch(const RequestContext& ctx, const WatchPortsOptions& options,
                                const std::function<bool(const PortEvent&)>& emit,
                                const std::function<bool()>& stop, absl::Duration poll) {
  if (options.start_revision < 0) {
    return InvalidField("start_revision", "must not be negative");
  }
  const auto wanted = [&](const model::Port& p) {
    const auth::Scope scope{p.meta.org_id, p.meta.project_id};
    return auth::CanRead(ctx.principal, Kind::kPort, scope) &&
           (!options.scope.has_value() || *options.scope == scope) &&
           (options.device_id.empty() || p.device_id == options.device_id) &&
           (options.subnet_id.empty() || p.subnet_id == options.subnet_id);
  };

  int64_t from = options.start_revision;
  if (from == 0) {
    // Changes after `from` are replayed below, so an object changed while the snapshot is read
    // may be reported twice, never missed.
    PN_ASSIGN_OR_RETURN(from, core_.store().CurrentRevision());
    ListOptions list{.page_size = kMaxPageSize, .scope = options.scope};
    while (true) {
      PN_ASSIGN_OR_RETURN(ListPage<model::Port> page,
                          core_.List<model::Port>(ctx.principal, Kind::kPort, list, wanted));
      for (model::Port& port : page.items) {
        if (!emit({PortEvent::Type::kExisting, std::move(port), from})) return absl::OkStatus();
      }
      if (page.next_page_token.empty()) break;
      list.page_token = page.next_page_token;
    }
    if (!emit({PortEvent::Type::kSynced, {}, from})) return absl::OkStatus();
  }

  PN_ASSIGN_OR_RETURN(std::unique_ptr<store::Watcher> watcher,
                      core_.store().Watch(keys::KindPrefix(Kind::kPort), from));
  while (!stop()) {
    PN_ASSIGN_OR_RETURN(std::vector<store::Event> events, watcher->Next(poll));
    for (const store::Event& event : events) {
      PN_ASSIGN_OR_RETURN(model::Port port, model::Decode<model::Port>(event.kv.value));
      port.meta.revision = event.kv.mod_revision;
      if (!wanted(port)) continue;
      PortEvent::Type type = event.type == store::Event::Type::kDelete ? PortEvent::Type::kDeleted
                             : event.kv.version == 1                   ? PortEvent::Type::kCreated
                                                                       : PortEvent::Type::kUpdated;
      if (!emit({type, std::move(port), event.kv.mod_revision})) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status PortService::Delete(const RequestContext& ctx, const std::string& id) {
  return core_.RetryOnConflict<bool>("delete port", [&] { return TryDelete(ctx, id); }).status();
}

absl::StatusOr<std::optional<bool>> PortService::TryDelete(const RequestContext& ctx,
                                                           const std::string& id) {
  PN_ASSIGN_OR_RETURN(std::optional<std::monostate> replay,
                      core_.Replay<std::monostate>(ctx, "DeletePort"));
  if (replay.has_value()) return std::optional<bool>(true);
  PN_ASSIGN_OR_RETURN(model::Port port, Get(ctx, id));
  const auth::Scope scope{port.meta.org_id, port.meta.project_id};
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kPort, scope));

  store::Txn txn;
  txn.compares.push_back(Compare::ModRevisionIs(keys::Object(Kind::kPort, id), port.meta.revision));
  txn.ops.push_back(Op::Delete(keys::Object(Kind::kPort, id)));
  txn.ops.push_back(Op::Delete(keys::ScopeEntry(scope, Kind::kPort, id)));
  txn.ops.push_back(Op::Delete(keys::Child(Relation::kSubnetPorts, port.subnet_id, id)));
  for (const std::string& group : port.security_group_ids) {
    txn.ops.push_back(Op::Delete(keys::Child(Relation::kGroupPorts, group, id)));
  }
  txn.ops.push_back(Op::Delete(keys::Mac(port.subnet_id, port.mac)));
  for (const IpAddress& ip : port.fixed_ips) {
    txn.ops.push_back(Op::Delete(keys::Ipam(port.subnet_id, ip)));
  }
  core_.AddQuotaDelete(Kind::kPort, port.meta, txn.ops);

  // Floating IPs mapped onto this port are disassociated, not deleted: the tenant keeps them.
  const std::string fips_prefix = keys::Children(Relation::kPortFloatingIps, id);
  PN_ASSIGN_OR_RETURN(store::RangeResult fips, core_.store().Range({.prefix = fips_prefix}));
  txn.compares.push_back(Compare::PrefixUnchangedSince(fips_prefix, fips.revision));
  for (const store::KeyValue& kv : fips.kvs) {
    PN_ASSIGN_OR_RETURN(std::optional<model::FloatingIp> fip,
                        core_.Load<model::FloatingIp>(Kind::kFloatingIp, kv.value));
    txn.ops.push_back(Op::Delete(kv.key));
    if (!fip.has_value()) continue;
    txn.compares.push_back(
        Compare::ModRevisionIs(keys::Object(Kind::kFloatingIp, fip->meta.id), fip->meta.revision));
    txn.ops.push_back(
        Op::Delete(keys::Child(Relation::kVpcFloatingIps, fip->vpc_id, fip->meta.id)));
    fip->port_id.clear();
    fip->fixed_ip.reset();
    fip->vpc_id.clear();
    fip->meta.updated_at = core_.clock().Now();
    txn.ops.push_back(Op::Put(keys::Object(Kind::kFloatingIp, fip->meta.id), model::Encode(*fip)));
  }

  PN_ASSIGN_OR_RETURN(store::TxnResult result, core_.Commit(ctx, "DeletePort", std::move(txn)));
  if (!result.succeeded) {
    return std::optional<bool>();
  }
  if (ctx.validate_only) {
    return std::optional<bool>(true);
  }
  core_.ReleaseQuota(Kind::kPort, port.meta);
  // Only now are the addresses free; the subnet may be gone already, then nothing to release.
  PN_ASSIGN_OR_RETURN(std::optional<model::Subnet> subnet,
                      core_.Load<model::Subnet>(Kind::kSubnet, port.subnet_id));
  if (subnet.has_value()) {
    for (const IpAddress& ip : port.fixed_ips) {
      if (subnet->family(ip.family()).has_value()) {
        core_.ipam().Release(port.subnet_id, *subnet->family(ip.family()), ip);
      }
    }
  }
  return std::optional<bool>(true);
}

}  // namespace plasmanet::service
