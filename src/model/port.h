// Port: a VM's NIC on a subnet (an OVN logical switch port).
//
// BuildPort checks everything that needs only the request and the subnet; the service layer
// then resolves what needs the store: the default security group, generated MAC and allocated
// addresses, and uniqueness of MAC and addresses.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "common/ip_address.h"
#include "common/ip_prefix.h"
#include "common/mac_address.h"
#include "model/meta.h"
#include "model/subnet.h"

namespace plasmanet::model {

enum class PortStatus { kDown, kBuild, kActive, kError };

absl::string_view PortStatusName(PortStatus status);  // "DOWN", "BUILD", "ACTIVE", "ERROR"
std::optional<PortStatus> ParsePortStatus(absl::string_view name);

struct AllowedAddressPairSpec {
  std::string ip_address;   // an address or a CIDR
  std::string mac_address;  // empty: the port's own MAC
};

// DHCPv4 options a port adds to its subnet's, by OVN name (ovn-nb(5), DHCP_Options): a boot
// file for network boot, say.
using DhcpOptionMap = std::map<std::string, std::string>;

struct PortSpec {
  std::string name;
  Labels labels;
  std::string subnet_id;
  std::string mac_address;                                     // empty: generated
  std::vector<std::string> fixed_ips;                          // at most one per family
  std::optional<std::vector<std::string>> security_group_ids;  // unset: project default group
  std::optional<bool> port_security_enabled;                   // default true
  std::vector<AllowedAddressPairSpec> allowed_address_pairs;
  std::string device_id;
  std::string device_owner;
  DhcpOptionMap extra_dhcp_options;
};

struct AllowedAddressPair {
  IpPrefix prefix;                // a single address is a /32 or /128
  std::optional<MacAddress> mac;  // unset: the port's MAC
};

struct Port {
  ObjectMeta meta;
  std::string subnet_id;
  std::string vpc_id;  // copied from the subnet: the translation to OVN needs it on every port
  MacAddress mac;
  std::vector<IpAddress> fixed_ips;  // at most one per family, IPv4 first
  std::vector<std::string> security_group_ids;
  bool port_security_enabled = true;
  std::vector<AllowedAddressPair> allowed_address_pairs;
  std::string device_id;
  std::string device_owner;
  DhcpOptionMap extra_dhcp_options;  // validated, addresses in canonical form
  PortStatus status = PortStatus::kDown;
  std::string binding_chassis;
};

inline constexpr size_t kMaxPortSecurityGroups = 16;
inline constexpr size_t kMaxAllowedAddressPairs = 10;
inline constexpr size_t kMaxDeviceFieldBytes = 255;
inline constexpr size_t kMaxExtraDhcpOptions = 16;
inline constexpr size_t kMaxDhcpOptionValueBytes = 255;

// How OVN reads the value of an extra DHCP option, and so how PlasmaNET checks and writes it.
enum class DhcpOptionType {
  kString,    // text; OVN wants it double-quoted
  kIpv4,      // one IPv4 address
  kIpv4List,  // one or more IPv4 addresses, comma-separated in the model
};

// The type of an option a port may set; nullopt for every other name.
std::optional<DhcpOptionType> ExtraDhcpOptionType(absl::string_view name);

// Checks a port's extra DHCPv4 options (on create and on update) and returns them with
// addresses in canonical form. INVALID_ARGUMENT names "port.extra_dhcp_options[NAME]": too many
// options (the field without a name), a name a port may not set (those the subnet or the
// port's name already set are refused as such), or a value that does not fit the option.
absl::StatusOr<DhcpOptionMap> BuildExtraDhcpOptions(const DhcpOptionMap& options);

// A validated request: the Port with what the caller asked for, plus what is still to resolve.
struct PortDraft {
  Port port;  // mac is zero when it is to be generated
  bool generate_mac = false;
  bool use_default_group = false;  // security_group_ids was unset and port security is on
  std::vector<IpFamily> families_to_allocate;
};

// Validates `spec` against its `subnet`. INVALID_ARGUMENT names the field.
absl::StatusOr<PortDraft> BuildPort(const PortSpec& spec, const Subnet& subnet);

}  // namespace plasmanet::model
