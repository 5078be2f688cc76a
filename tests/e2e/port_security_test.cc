// Port security with real packets: a VM that sends from an address or MAC its port does not own
// is dropped at its own port, unless port security is off for that port.
//
// A dropped packet is proven absent, not presumed: right after each spoofed datagram the VM
// sends a legitimate marker on the same path, and the receiver's log is read once the marker
// has arrived. Packets from one sender to one receiver are not reordered on this path, so a
// spoofed datagram that was not dropped is in the log by then.

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include "e2e/e2e_test.h"
#include "testing/wait.h"

namespace plasmanet::e2e {
namespace {

constexpr char kForeignIp[] = "10.0.1.200";          // in the subnet, owned by nobody
constexpr char kForeignMac[] = "fa:16:3e:de:ad:01";  // owned by nobody

class PortSecurityTest : public E2eTest {
 protected:
  // Sends a spoofed datagram (`configure` changes the sender first, `source` overrides its
  // address), restores the sender, sends a marker, and returns the receiver's log once the
  // marker is in it.
  std::string SendSpoofedThenMarker(testing::VmNamespace& sender,
                                    const testing::VmNamespace& receiver,
                                    const std::string& receiver_ip, const std::string& tag,
                                    const testing::VmNicConfig& spoofed_nic,
                                    const std::string& source) {
    const testing::VmNicConfig real_nic = sender.nic();
    EXPECT_TRUE(sender.Configure(spoofed_nic).ok());
    // The ARP entry is pinned so the spoofed frame leaves at once, with the spoofed source,
    // instead of waiting for an ARP answer that port security may well drop too.
    EXPECT_TRUE(sender
                    .Exec({"ip", "neigh", "replace", receiver_ip, "lladdr", receiver.nic().mac,
                           "dev", "eth0", "nud", "permanent"})
                    .ok());
    const absl::Status sent = sender.SendUdp(receiver_ip, kProbePort, "spoof-" + tag, source);
    EXPECT_TRUE(sent.ok()) << sent;
    EXPECT_TRUE(sender.Configure(real_nic).ok());
    const std::string marker = "marker-" + tag;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          EXPECT_TRUE(sender.SendUdp(receiver_ip, kProbePort, marker).ok());
          return absl::StrContains(receiver.Received(), marker);
        },
        absl::Seconds(10), absl::Milliseconds(200)))
        << receiver.Received();
    return receiver.Received();
  }

  // Two VMs in one subnet; the sender with port security as given. The receiver has port
  // security off, so it filters nothing (no security group applies to it): whatever does not
  // arrive was dropped at the sender's port.
  void StartSenderAndReceiver(bool port_security) {
    web_ = CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
    VmPair pair =
        E2eTest::StartPair(web_, web_, {.port_security = port_security}, {.port_security = false});
    ASSERT_TRUE(pair.ready);
    p1_ = pair.p1;
    p2_ = pair.p2;
    a1_ = std::move(pair.a1);
    a2_ = std::move(pair.a2);
  }

  v1::Subnet web_;
  v1::Port p1_, p2_;
  std::unique_ptr<testing::VmNamespace> a1_, a2_;
};

TEST_F(PortSecurityTest, ASpoofedSourceAddressOrMacIsDroppedAtTheSendersPort) {
  ASSERT_NO_FATAL_FAILURE(StartSenderAndReceiver(/*port_security=*/true));
  const std::string to = p2_.fixed_ips(0);

  const std::string after_ip = SendSpoofedThenMarker(*a1_, *a2_, to, "ip", a1_->nic(), kForeignIp);
  EXPECT_FALSE(absl::StrContains(after_ip, "spoof-ip")) << after_ip;

  testing::VmNicConfig other_mac = a1_->nic();
  other_mac.mac = kForeignMac;
  const std::string after_mac = SendSpoofedThenMarker(*a1_, *a2_, to, "mac", other_mac, "");
  EXPECT_FALSE(absl::StrContains(after_mac, "spoof-mac")) << after_mac;

  // An ICMP echo from an address the port does not own gets no answer either.
  testing::VmNicConfig extra_ip = a1_->nic();
  extra_ip.addresses.push_back(absl::StrCat(kForeignIp, "/24"));
  ASSERT_TRUE(a1_->Configure(extra_ip).ok());
  EXPECT_FALSE(a1_->Ping(to, absl::Seconds(1), kForeignIp));
  EXPECT_TRUE(WaitReachable(*a1_, to));  // from its own address it still works
}

TEST_F(PortSecurityTest, WithPortSecurityOffSpoofedPacketsPass) {
  ASSERT_NO_FATAL_FAILURE(StartSenderAndReceiver(/*port_security=*/false));
  const std::string to = p2_.fixed_ips(0);

  const std::string after_ip = SendSpoofedThenMarker(*a1_, *a2_, to, "ip", a1_->nic(), kForeignIp);
  EXPECT_TRUE(absl::StrContains(after_ip, absl::StrCat("udp ", kForeignIp, " spoof-ip")))
      << after_ip;

  testing::VmNicConfig other_mac = a1_->nic();
  other_mac.mac = kForeignMac;
  const std::string after_mac = SendSpoofedThenMarker(*a1_, *a2_, to, "mac", other_mac, "");
  EXPECT_TRUE(absl::StrContains(after_mac, "spoof-mac")) << after_mac;
}

}  // namespace
}  // namespace plasmanet::e2e
