// VifPlugger against a real Open vSwitch: the sandbox's Open_vSwitch ovsdb-server, ovs-vswitchd
// (userspace datapath) and the br-int that ovn-controller made.

#include "plug/vif_plugger.h"

#include <memory>
#include <string>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/ovn_sandbox.h"
#include "testing/status_matchers.h"

namespace plasmanet::plug {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kPortId[] = "6f1d2a7e-0c55-4b8e-9f7a-3d2b1c0e9a81";
constexpr char kMac[] = "fa:16:3e:11:22:33";

class VifPluggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::OvnSandbox>> sandbox = testing::OvnSandbox::Start();
    ASSERT_THAT(sandbox.status(), IsOk());
    sandbox_ = std::move(*sandbox);
    absl::StatusOr<std::unique_ptr<VifPlugger>> plugger = Connect({});
    ASSERT_THAT(plugger.status(), IsOk());
    plugger_ = std::move(*plugger);
  }

  absl::StatusOr<std::unique_ptr<VifPlugger>> Connect(PlugOptions options) {
    if (options.ovs_db == PlugOptions().ovs_db) options.ovs_db = sandbox_->ovs_remote();
    return VifPlugger::Connect(std::move(options));
  }

  // A veth pair in the chassis namespace; `name` is the end that gets plugged.
  void MakeVeth(const std::string& name) {
    absl::StatusOr<testing::ProcessResult> r =
        testing::RunProgram("ip", {"-n", sandbox_->chassis_netns(), "link", "add", name, "type",
                                   "veth", "peer", "name", name + "-p"});
    ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->stderr_text : r.status().ToString());
  }

  std::string Vsctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"ovs-vsctl", "--db=" + sandbox_->ovs_remote()});
    absl::StatusOr<testing::ProcessResult> r = sandbox_->Run(args);
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->stderr_text : r.status().ToString());
    return r.ok() ? std::string(absl::StripAsciiWhitespace(r->stdout_text)) : "";
  }

  std::unique_ptr<testing::OvnSandbox> sandbox_;
  std::unique_ptr<VifPlugger> plugger_;
};

TEST_F(VifPluggerTest, PlugPutsTheNicOnBrIntWithItsIdsAndUnplugTakesItOff) {
  MakeVeth("tap1");
  absl::StatusOr<PluggedVif> plugged =
      plugger_->Plug({.ifname = "tap1", .iface_id = kPortId, .mac = "FA:16:3E:11:22:33"});
  ASSERT_THAT(plugged.status(), IsOk());
  EXPECT_GT(plugged->ofport, 0);
  EXPECT_FALSE(plugged->replugged);

  EXPECT_EQ(Vsctl({"list-ports", "br-int"}), "tap1");
  EXPECT_EQ(Vsctl({"get", "Interface", "tap1", "ofport"}), absl::StrCat(plugged->ofport));
  EXPECT_EQ(Vsctl({"get", "Interface", "tap1", "external_ids"}),
            absl::StrCat("{attached-mac=\"", kMac, "\", iface-id=\"", kPortId,
                         "\", iface-status=active}"));

  ASSERT_THAT(plugger_->Unplug("tap1", false), IsOk());
  EXPECT_EQ(Vsctl({"list-ports", "br-int"}), "");
  // The interface row is gone too, not only the port.
  EXPECT_EQ(Vsctl({"--columns=name", "--bare", "find", "Interface", "name=tap1"}), "");
}

TEST_F(VifPluggerTest, PluggingAgainUpdatesOurIdsInPlaceAndKeepsEveryOtherKey) {
  MakeVeth("tap1");
  ASSERT_THAT(plugger_->Plug({.ifname = "tap1", .iface_id = kPortId, .mac = kMac}).status(),
              IsOk());
  const std::string ofport = Vsctl({"get", "Interface", "tap1", "ofport"});
  Vsctl({"set", "Interface", "tap1", "external_ids:vm-uuid=vm-42"});

  constexpr char kOtherPort[] = "0a9c7d3e-5b21-4f60-8e4d-2c1b0a9f8e77";
  absl::StatusOr<PluggedVif> again =
      plugger_->Plug({.ifname = "tap1", .iface_id = kOtherPort, .mac = "fa:16:3e:00:00:01"});
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_TRUE(again->replugged);
  EXPECT_EQ(absl::StrCat(again->ofport), ofport);  // the same OpenFlow port: not re-added
  EXPECT_EQ(Vsctl({"get", "Interface", "tap1", "external_ids"}),
            absl::StrCat("{attached-mac=\"fa:16:3e:00:00:01\", iface-id=\"", kOtherPort,
                         "\", iface-status=active, vm-uuid=vm-42}"));
}

TEST_F(VifPluggerTest, ADeviceOvsCannotOpenIsRefusedAndLeavesNothingBehind) {
  EXPECT_THAT(plugger_->Plug({.ifname = "nosuchdev", .iface_id = kPortId, .mac = kMac}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("ovs-vswitchd cannot use nosuchdev")));
  EXPECT_EQ(Vsctl({"list-ports", "br-int"}), "");
}

TEST_F(VifPluggerTest, OnePortPluggedAsTwoInterfacesIsRefused) {
  MakeVeth("tap1");
  MakeVeth("tap2");
  ASSERT_THAT(plugger_->Plug({.ifname = "tap1", .iface_id = kPortId, .mac = kMac}).status(),
              IsOk());
  EXPECT_THAT(plugger_->Plug({.ifname = "tap2", .iface_id = kPortId, .mac = kMac}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already plugged as interface tap1")));
  EXPECT_EQ(Vsctl({"list-ports", "br-int"}), "tap1");
}

TEST_F(VifPluggerTest, AnInterfaceOnAnotherBridgeIsLeftAlone) {
  MakeVeth("tap1");
  Vsctl({"add-br", "br-other", "--", "set", "Bridge", "br-other", "datapath_type=netdev", "--",
         "add-port", "br-other", "tap1"});
  EXPECT_THAT(plugger_->Plug({.ifname = "tap1", .iface_id = kPortId, .mac = kMac}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another bridge")));
  EXPECT_EQ(Vsctl({"list-ports", "br-other"}), "tap1");
  EXPECT_EQ(Vsctl({"get", "Interface", "tap1", "external_ids"}), "{}");
}

TEST_F(VifPluggerTest, UnplugOfAnUnknownInterfaceIsNotFoundUnlessItMayBeAbsent) {
  EXPECT_THAT(plugger_->Unplug("tap9", false),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no interface tap9 is plugged")));
  EXPECT_THAT(plugger_->Unplug("tap9", true), IsOk());
}

TEST_F(VifPluggerTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  MakeVeth("tap1");
  EXPECT_THAT(plugger_->Plug({.ifname = "", .iface_id = kPortId, .mac = kMac}).status(),
              HasFieldError(absl::StatusCode::kInvalidArgument, "ifname"));
  EXPECT_THAT(
      plugger_->Plug({.ifname = "a-very-long-name0", .iface_id = kPortId, .mac = kMac}).status(),
      HasFieldError(absl::StatusCode::kInvalidArgument, "ifname"));
  EXPECT_THAT(plugger_->Plug({.ifname = "tap/1", .iface_id = kPortId, .mac = kMac}).status(),
              HasFieldError(absl::StatusCode::kInvalidArgument, "ifname"));
  EXPECT_THAT(plugger_->Plug({.ifname = "tap1", .iface_id = "", .mac = kMac}).status(),
              HasFieldError(absl::StatusCode::kInvalidArgument, "iface_id"));
  EXPECT_THAT(plugger_->Plug({.ifname = "tap1", .iface_id = "x\"y", .mac = kMac}).status(),
              HasFieldError(absl::StatusCode::kInvalidArgument, "iface_id"));
  EXPECT_THAT(plugger_->Plug({.ifname = "tap1", .iface_id = kPortId, .mac = "fa:16:3e"}).status(),
              HasFieldError(absl::StatusCode::kInvalidArgument, "mac"));
  EXPECT_THAT(plugger_->Unplug("tap 1", false),
              HasFieldError(absl::StatusCode::kInvalidArgument, "ifname"));
  EXPECT_EQ(Vsctl({"list-ports", "br-int"}), "");
}

TEST_F(VifPluggerTest, AMissingBridgeIsNotFound) {
  MakeVeth("tap1");
  absl::StatusOr<std::unique_ptr<VifPlugger>> plugger = Connect({.bridge = "br-nope"});
  ASSERT_THAT(plugger.status(), IsOk());
  EXPECT_THAT((*plugger)->Plug({.ifname = "tap1", .iface_id = kPortId, .mac = kMac}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("bridge br-nope does not exist")));
}

TEST_F(VifPluggerTest, ADatabaseThatIsNotThereOrNotOpenVswitchIsRefused) {
  EXPECT_THAT(Connect({.ovs_db = "http://localhost"}).status(),
              HasFieldError(absl::StatusCode::kInvalidArgument, "ovs_db"));
  EXPECT_THAT(
      Connect({.ovs_db = "unix:/nonexistent/db.sock", .timeout = absl::Milliseconds(300)}).status(),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("cannot reach the Open_vSwitch database")));
  // The Northbound server holds no Open_vSwitch database.
  EXPECT_THAT(
      Connect({.ovs_db = sandbox_->nb_remote(), .timeout = absl::Milliseconds(500)}).status(),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Open_vSwitch")));
}

}  // namespace
}  // namespace plasmanet::plug
