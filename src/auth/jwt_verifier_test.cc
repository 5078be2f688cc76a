#include "auth/jwt_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "testing/status_matchers.h"

namespace plasmanet::auth {
namespace {

using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kSecret(40, 's');

// Mints tokens the way an identity provider would.
std::string Hs256(const nlohmann::json& claims, const std::string& secret = kSecret,
                  const std::string& alg = "HS256") {
  const std::string signed_part =
      Base64UrlEncode(nlohmann::json{{"alg", alg}, {"typ", "JWT"}}.dump()) + "." +
      Base64UrlEncode(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
       &length);
  return signed_part + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), length));
}

std::string Rs256(const nlohmann::json& claims, EVP_PKEY* key) {
  const std::string signed_part = Base64UrlEncode(nlohmann::json{{"alg", "RS256"}}.dump()) + "." +
                                  Base64UrlEncode(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(signed_part.data()),
                 signed_part.size());
  std::string signature(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
  EVP_MD_CTX_free(ctx);
  signature.resize(length);
  return signed_part + "." + Base64UrlEncode(signature);
}

std::string PublicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, n);
  BIO_free(bio);
  return pem;
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  JwtVerifierTest() : key_(EVP_RSA_gen(2048)) {
    verifier_ = std::move(*JwtVerifier::Create(kSecret, PublicPem(key_), clock_));
  }
  ~JwtVerifierTest() override { EVP_PKEY_free(key_); }

  nlohmann::json Member() {
    return {{"sub", "alice"},
            {"org", "acme"},
            {"project", "web"},
            {"roles", {"member"}},
            {"exp", absl::ToUnixSeconds(clock_.Now()) + 600}};
  }

  FakeClock clock_;
  EVP_PKEY* key_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(JwtVerifierTest, AcceptsValidHs256AndRs256Tokens) {
  absl::StatusOr<Principal> p = verifier_->Verify(Hs256(Member()));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->scope, (Scope{"acme", "web"}));
  EXPECT_TRUE(p->Has(Role::kMember));
  EXPECT_EQ(p->subject, "acme/web/jwt:alice");
  nlohmann::json service = {{"org", "*"},
                            {"project", "*"},
                            {"roles", "service"},
                            {"exp", absl::ToUnixSeconds(clock_.Now()) + 60}};
  absl::StatusOr<Principal> s = verifier_->Verify(Rs256(service, key_));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->platform_wide());
  EXPECT_TRUE(JwtVerifier::LooksLikeJwt(Hs256(Member())));
  EXPECT_FALSE(JwtVerifier::LooksLikeJwt("static-token-0123456789"));
}

TEST_F(JwtVerifierTest, RefusesForgedExpiredAndMalformedTokens) {
  const auto refused = [&](const std::string& token, const std::string& why) {
    SCOPED_TRACE(why);
    EXPECT_THAT(verifier_->Verify(token),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(why)));
  };
  refused(Hs256(Member(), std::string(40, 'x')), "bad signature");
  std::string tampered = Hs256(Member());
  tampered[tampered.find('.') + 3] ^= 1;
  refused(tampered, "");
  nlohmann::json expired = Member();
  expired["exp"] = absl::ToUnixSeconds(clock_.Now()) - 1;
  refused(Hs256(expired), "expired");
  nlohmann::json eternal = Member();
  eternal.erase("exp");
  refused(Hs256(eternal), "no expiry");
  nlohmann::json early = Member();
  early["nbf"] = absl::ToUnixSeconds(clock_.Now()) + 100;
  refused(Hs256(early), "not valid yet");
  refused(Hs256(Member(), kSecret, "none"), "algorithm 'none' is not accepted");
  refused(Hs256(Member(), kSecret, "HS512"), "algorithm 'HS512'");
  nlohmann::json admin_in_project = Member();
  admin_in_project["roles"] = {"admin"};
  refused(Hs256(admin_in_project), "admin and service tokens have * scope");
  nlohmann::json no_roles = Member();
  no_roles.erase("roles");
  refused(Hs256(no_roles), "no roles");
  nlohmann::json bad_role = Member();
  bad_role["roles"] = "owner";
  refused(Hs256(bad_role), "unknown role 'owner'");
  refused("a.b", "not a JWT");
  refused("!!.@@.##", "not base64url");
  refused(Base64UrlEncode("[]") + "." + Base64UrlEncode("{}") + ".xx", "must be JSON objects");
  // An RS256 signature made with another key.
  EVP_PKEY* other = EVP_RSA_gen(2048);
  refused(Rs256(Member(), other), "bad signature");
  EVP_PKEY_free(other);
  // Time passes: a valid token expires.
  const std::string token = Hs256(Member());
  clock_.Advance(absl::Minutes(11));
  refused(token, "expired");
}

TEST_F(JwtVerifierTest, OnlyConfiguredAlgorithmsAndUsableKeys) {
  auto hs_only = std::move(*JwtVerifier::Create(kSecret, "", clock_));
  EXPECT_THAT(hs_only->Verify(Rs256(Member(), key_)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("'RS256' is not accepted")));
  EXPECT_THAT(JwtVerifier::Create("", "", clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs an HS256 secret")));
  EXPECT_THAT(JwtVerifier::Create("short", "", clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 32 bytes")));
  EXPECT_THAT(JwtVerifier::Create("", "not a pem", clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PEM RSA public key")));
}

TEST(Base64UrlTest, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    std::string back;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(bytes), &back));
    EXPECT_EQ(back, bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("a+b", &out));
  EXPECT_FALSE(Base64UrlDecode("a", &out));
}

}  // namespace
}  // namespace plasmanet::auth
