#include "ovsdb/datum.h"

#include <string>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::ovsdb {
namespace {

using ::plasmanet::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::string_view kUuidA = "0b3a4f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr absl::string_view kUuidB = "7f000001-0000-4000-8000-00000000beef";

Uuid MustUuid(absl::string_view text) {
  std::optional<Uuid> uuid = Uuid::Parse(text);
  EXPECT_TRUE(uuid.has_value()) << text;
  return uuid.value_or(Uuid());
}

class DatumTest : public ::testing::Test {
 protected:
  // Parses `json` and then the <value> in it. The parser owns the element's storage, so each
  // call invalidates the previous one's element (the returned Datum owns its data).
  absl::StatusOr<Datum> Parse(const std::string& json) {
    simdjson::dom::element element;
    if (auto error = parser_.parse(json).get(element); error != simdjson::SUCCESS) {
      ADD_FAILURE() << "test JSON does not parse: " << json;
      return absl::InternalError("bad test JSON");
    }
    return ParseDatum(element);
  }

  // Parses, expecting success.
  Datum MustParse(const std::string& json) {
    absl::StatusOr<Datum> datum = Parse(json);
    EXPECT_TRUE(datum.ok()) << json << ": " << datum.status();
    return datum.ok() ? *datum : Datum();
  }

  simdjson::dom::parser parser_;
};

TEST(UuidTest, ParsesBothCasesAndPrintsLowerCase) {
  std::optional<Uuid> lower = Uuid::Parse(kUuidA);
  std::optional<Uuid> upper = Uuid::Parse("0B3A4F5E-1C2D-4E5F-8A9B-0C1D2E3F4A5B");
  ASSERT_TRUE(lower.has_value());
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(*lower, *upper);
  EXPECT_EQ(upper->ToString(), kUuidA);
  EXPECT_FALSE(lower->IsNil());
  EXPECT_TRUE(Uuid().IsNil());
  EXPECT_EQ(Uuid().ToString(), "00000000-0000-0000-0000-000000000000");
}

TEST(UuidTest, RejectsMalformedText) {
  EXPECT_FALSE(Uuid::Parse(""));
  EXPECT_FALSE(Uuid::Parse("0b3a4f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5"));    // one short
  EXPECT_FALSE(Uuid::Parse("0b3a4f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5bb"));  // one long
  EXPECT_FALSE(Uuid::Parse("0b3a4f5e_1c2d-4e5f-8a9b-0c1d2e3f4a5b"));   // bad separator
  EXPECT_FALSE(Uuid::Parse("0b3a4f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5g"));   // bad digit
  EXPECT_FALSE(Uuid::Parse("0b3a4f5e1-c2d-4e5f-8a9b-0c1d2e3f4a5b"));   // dash moved
}

TEST(UuidTest, OrdersByBytes) {
  EXPECT_LT(MustUuid(kUuidA), MustUuid(kUuidB));
  EXPECT_LT(Uuid(), MustUuid(kUuidA));
}

TEST_F(DatumTest, ParsesEveryAtomForm) {
  EXPECT_EQ(MustParse(R"("lsp1")"), Datum::String("lsp1"));
  EXPECT_EQ(MustParse("42"), Datum::Integer(42));
  EXPECT_EQ(MustParse("-9223372036854775808"), Datum::Integer(INT64_MIN));
  EXPECT_EQ(MustParse("2.5"), Datum::Scalar(Atom(2.5)));
  EXPECT_EQ(MustParse("true"), Datum::Boolean(true));
  EXPECT_EQ(MustParse("false"), Datum::Boolean(false));
  EXPECT_EQ(MustParse(absl::StrCat(R"(["uuid", ")", kUuidA, R"("])")),
            Datum::Scalar(Atom(MustUuid(kUuidA))));
  EXPECT_EQ(MustParse(R"(["named-uuid", "new_port_1"])"),
            Datum::Scalar(Atom(NamedUuid{"new_port_1"})));
}

TEST_F(DatumTest, ParsesSetsAndMaps) {
  Datum set = MustParse(R"(["set", ["b", "a", "c"]])");
  EXPECT_FALSE(set.is_map());
  EXPECT_THAT(set.AsStrings(), ElementsAre("a", "b", "c"));

  Datum empty = MustParse(R"(["set", []])");
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty, Datum());

  Datum one = MustParse(R"(["set", ["only"]])");
  EXPECT_EQ(one, Datum::String("only"));  // a set of one is the bare atom

  Datum map = MustParse(R"(["map", [["mtu", "1442"], ["cidr", "10.0.0.0/24"]]])");
  EXPECT_TRUE(map.is_map());
  EXPECT_EQ(map, Datum::StringMap({{"cidr", "10.0.0.0/24"}, {"mtu", "1442"}}));
  ASSERT_NE(map.Lookup("mtu"), nullptr);
  EXPECT_EQ(*map.Lookup("mtu"), "1442");
  EXPECT_EQ(map.Lookup("absent"), nullptr);
  EXPECT_EQ(map.Lookup("cidr0"), nullptr);

  Datum uuids = MustParse(
      absl::StrCat(R"(["set", [["uuid", ")", kUuidB, R"("], ["uuid", ")", kUuidA, R"("]]])"));
  EXPECT_THAT(uuids.AsUuids(), ElementsAre(MustUuid(kUuidA), MustUuid(kUuidB)));

  EXPECT_TRUE(MustParse(R"(["map", []])").is_map());
}

TEST_F(DatumTest, IntegersAmongRealsBecomeReals) {
  Datum reals = MustParse(R"(["set", [1, 0.5]])");
  EXPECT_EQ(reals, Datum::Set({Atom(0.5), Atom(1.0)}));
}

TEST_F(DatumTest, CanonicalFormMakesEqualValuesEqual) {
  EXPECT_EQ(Datum::Set({Atom(int64_t{3}), Atom(int64_t{1}), Atom(int64_t{3})}),
            Datum::Set({Atom(int64_t{1}), Atom(int64_t{3})}));
  EXPECT_EQ(MustParse(R"(["set", ["x", "y", "x"]])"), Datum::StringSet({"y", "x"}));
  EXPECT_EQ(Datum::StringSet({"y", "x", "y"}).size(), 2u);
  EXPECT_NE(Datum::StringSet({"x"}), Datum::StringSet({"x", "y"}));

  // Map pairs are sorted by key; with a repeated key the last pair wins.
  Datum map = Datum::Map({{Atom(std::string("b")), Atom(std::string("1"))},
                          {Atom(std::string("a")), Atom(std::string("2"))},
                          {Atom(std::string("b")), Atom(std::string("3"))}});
  EXPECT_EQ(map, Datum::StringMap({{"a", "2"}, {"b", "3"}}));

  // An empty map and an empty set are different values (their JSON differs).
  EXPECT_NE(Datum::Map({}), Datum());
}

TEST_F(DatumTest, AccessorsReturnDefaultsForOtherShapes) {
  EXPECT_EQ(Datum::Integer(7).AsString(), "");
  EXPECT_EQ(Datum::String("x").AsInteger(), 0);
  EXPECT_FALSE(Datum().AsBool());
  EXPECT_TRUE(Datum::Boolean(true).AsBool());
  EXPECT_EQ(Datum::StringSet({"a", "b"}).AsString(), "");  // not a single value
  EXPECT_TRUE(Datum::StringSet({"a"}).AsStringMap().empty());
  EXPECT_TRUE(Datum::StringMap({{"a", "b"}}).AsStrings().empty());
  EXPECT_EQ(Datum::StringSet({"a"}).Lookup("a"), nullptr);
  EXPECT_EQ(Datum::StringMap({{"k", "v"}}).AsStringMap(),
            (std::map<std::string, std::string>{{"k", "v"}}));
}

TEST_F(DatumTest, ToJsonUsesRfc7047Encoding) {
  EXPECT_EQ(Datum::String("a").ToJson(), nlohmann::json("a"));
  EXPECT_EQ(Datum::Integer(-3).ToJson(), nlohmann::json(-3));
  EXPECT_EQ(Datum::Boolean(true).ToJson(), nlohmann::json(true));
  EXPECT_EQ(Datum().ToString(), R"(["set",[]])");
  EXPECT_EQ(Datum::Map({}).ToString(), R"(["map",[]])");
  EXPECT_EQ(Datum::StringSet({"b", "a"}).ToString(), R"(["set",["a","b"]])");
  EXPECT_EQ(Datum::StringMap({{"plasmanet-owner", "port/42"}}).ToString(),
            R"(["map",[["plasmanet-owner","port/42"]]])");
  EXPECT_EQ(Datum::Scalar(Atom(MustUuid(kUuidA))).ToString(),
            absl::StrCat(R"(["uuid",")", kUuidA, R"("])"));
  EXPECT_EQ(Datum::Scalar(Atom(NamedUuid{"row1"})).ToString(), R"(["named-uuid","row1"])");
  EXPECT_EQ(AtomToString(Atom(std::string("q\"uote"))), R"("q\"uote")");
  EXPECT_EQ(AtomToString(Atom(MustUuid(kUuidB))), kUuidB);
}

TEST_F(DatumTest, ToJsonThenParseGivesTheSameDatum) {
  const std::vector<Datum> cases = {
      Datum(),
      Datum::Map({}),
      Datum::String("with \"quotes\", \\ and \u00e9"),
      Datum::Integer(INT64_MAX),
      Datum::Integer(INT64_MIN),
      Datum::Scalar(Atom(-0.125)),
      Datum::Scalar(Atom(1.0)),  // must stay a real, not turn into the integer 1
      Datum::Scalar(Atom(1e300)),
      Datum::Boolean(false),
      Datum::Scalar(Atom(MustUuid(kUuidA))),
      Datum::Scalar(Atom(NamedUuid{"_x9"})),
      Datum::StringSet({"fa:16:3e:00:00:01 10.0.0.5", "fa:16:3e:00:00:02"}),
      Datum::Set({Atom(MustUuid(kUuidA)), Atom(MustUuid(kUuidB))}),
      Datum::Set({Atom(int64_t{5}), Atom(int64_t{-5})}),
      Datum::StringMap({{"a", "1"}, {"b", ""}}),
      Datum::Map({{Atom(int64_t{1}), Atom(MustUuid(kUuidB))}}),
  };
  for (const Datum& datum : cases) {
    SCOPED_TRACE(datum.ToString());
    EXPECT_EQ(MustParse(datum.ToJson().dump()), datum);
  }
}

TEST_F(DatumTest, ApplyDiffReplacesAScalar) {
  Datum value = Datum::String("old");
  value.ApplyDiff(Datum::String("new"), /*is_scalar=*/true);
  EXPECT_EQ(value, Datum::String("new"));
}

TEST_F(DatumTest, ApplyDiffOnASetIsSymmetricDifference) {
  Datum set = Datum::StringSet({"a", "b", "c"});
  set.ApplyDiff(Datum::StringSet({"b", "d"}), /*is_scalar=*/false);
  EXPECT_EQ(set, Datum::StringSet({"a", "c", "d"}));

  Datum empty;
  empty.ApplyDiff(Datum::Integer(7), /*is_scalar=*/false);
  EXPECT_EQ(empty, Datum::Integer(7));
  empty.ApplyDiff(Datum::Integer(7), /*is_scalar=*/false);
  EXPECT_EQ(empty, Datum());
}

TEST_F(DatumTest, ApplyDiffOnAMapAddsRemovesAndChanges) {
  Datum map = Datum::StringMap({{"keep", "1"}, {"drop", "2"}, {"change", "3"}});
  // "drop" with its current value is removed, "change" with another value takes it, "add" is
  // new.
  map.ApplyDiff(Datum::StringMap({{"drop", "2"}, {"change", "30"}, {"add", "4"}}),
                /*is_scalar=*/false);
  EXPECT_EQ(map, Datum::StringMap({{"keep", "1"}, {"change", "30"}, {"add", "4"}}));

  Datum from_empty;
  from_empty.ApplyDiff(Datum::StringMap({{"k", "v"}}), /*is_scalar=*/false);
  EXPECT_EQ(from_empty, Datum::StringMap({{"k", "v"}}));
}

TEST_F(DatumTest, RejectsMalformedValues) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"null", "not an atom"},
      {R"({"a": 1})", "not an atom"},
      {"18446744073709551615", "out of range"},
      {R"(["set"])", "expected"},
      {R"(["bag", []])", "unknown tag"},
      {R"(["set", {}])", "needs an array"},
      {R"(["set", [1, "a"]])", "different types"},
      {R"(["set", [["set", []]]])", "unknown tag"},
      {R"(["map", [["a"]]])", "pairs"},
      {R"(["map", [["a", 1], ["b", "x"]]])", "different types"},
      {R"(["map", [["a", 1], ["a", 2]]])", "duplicate key"},
      {R"(["map", {}])", "needs an array"},
      {R"(["uuid", "not-a-uuid"])", "malformed uuid"},
      {R"(["uuid", 7])", "string after the tag"},
      {R"(["named-uuid", "9starts-with-digit"])", "identifier"},
      {R"([1, 2])", "expected"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    EXPECT_THAT(Parse(c.json), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

}  // namespace
}  // namespace plasmanet::ovsdb
