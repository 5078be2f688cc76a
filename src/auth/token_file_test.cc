#include "auth/token_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::auth {
namespace {

using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TokenFileTest, ParsesPrincipalsCommentsAndBlankLines) {
  absl::StatusOr<TokenFile> tokens = TokenFile::Parse(R"(
# the VM service
vmc-0123456789abcdef   *    *     service
alice-0123456789abcd   acme web   member,reader   # trailing comment

)");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->size(), 2u);
  std::optional<Principal> alice = tokens->Lookup("alice-0123456789abcd");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->scope, (Scope{"acme", "web"}));
  EXPECT_TRUE(alice->Has(Role::kMember));
  EXPECT_TRUE(alice->Has(Role::kReader));
  EXPECT_EQ(alice->subject, "acme/web/alic...");
  EXPECT_TRUE(tokens->Lookup("vmc-0123456789abcdef")->platform_wide());
  EXPECT_EQ(tokens->Lookup("nope"), std::nullopt);
  EXPECT_EQ(tokens->Lookup("alice-0123456789abc"), std::nullopt);  // a prefix is not a token
}

TEST(TokenFileTest, RefusesMalformedLinesNamingThem) {
  const std::pair<const char*, const char*> cases[] = {
      {"tok-0123456789abcdef acme web", "line 1: expected TOKEN ORG PROJECT"},
      {"\ntok-0123456789abcdef acme web owner", "line 2: unknown role 'owner'"},
      {"tok-0123456789abcdef * web admin", "both be *"},
      {"tok-0123456789abcdef acme web admin", "admin and service tokens use * *"},
      {"tok-0123456789abcdef * * member", "admin and service tokens use * *"},
      {"short acme web member", "at least 16 characters"},
      {"tok-0123456789abcdef ac/me web member", "1-64 characters"},
      {"tok-0123456789abcdef a w member\ntok-0123456789abcdef b w member", "line 2: duplicate"},
  };
  for (const auto& [text, reason] : cases) {
    SCOPED_TRACE(text);
    EXPECT_THAT(TokenFile::Parse(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(reason)));
  }
  EXPECT_THAT(TokenFile::Load("/nonexistent/tokens"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot be read")));
}

}  // namespace
}  // namespace plasmanet::auth
