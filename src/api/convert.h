// Conversions between the wire messages of plasmanet.v1 and the model. Requests become model
// specs (text, validated later by the model with field-named errors); model objects become
// resources. Pure functions; thread-safe.
#pragma once

#include "model/external_network.h"
#include "model/floating_ip.h"
#include "model/port.h"
#include "model/security_group.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "plasmanet/v1/api.pb.h"

namespace plasmanet::api {

model::VpcSpec ToSpec(const v1::Vpc& vpc);
std::optional<model::VpcGatewaySpec> GatewaySpec(const v1::Vpc& vpc);  // nullopt: no gateway
std::vector<model::StaticRouteSpec> StaticRoutes(
    const google::protobuf::RepeatedPtrField<v1::StaticRoute>& routes);
model::SubnetSpec ToSpec(const v1::Subnet& subnet);
std::vector<model::HostRouteSpec> HostRoutes(
    const google::protobuf::RepeatedPtrField<v1::HostRoute>& routes);
model::PortSpec ToSpec(const v1::CreatePortRequest& request);
model::SecurityGroupSpec ToSpec(const v1::SecurityGroup& group);
model::SecurityGroupRuleSpec ToSpec(const v1::SecurityGroupRule& rule);
model::ExternalNetworkSpec ToSpec(const v1::ExternalNetwork& network);
model::FloatingIpSpec ToSpec(const v1::FloatingIp& fip);

v1::Vpc ToProto(const model::Vpc& vpc);
v1::Subnet ToProto(const model::Subnet& subnet);
v1::Port ToProto(const model::Port& port);
v1::SecurityGroup ToProto(const model::SecurityGroup& group);
v1::ExternalNetwork ToProto(const model::ExternalNetwork& network);
v1::FloatingIp ToProto(const model::FloatingIp& fip);

}  // namespace plasmanet::api
