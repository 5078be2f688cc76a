#include "auth/jwt_verifier.h"

#include <cstring>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "auth/token_file.h"
#include "model/meta.h"

namespace plasmanet::auth {

struct JwtVerifier::Keys {
  std::string hs256_secret;
  EVP_PKEY* rs256 = nullptr;
  ~Keys() { EVP_PKEY_free(rs256); }
};

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

absl::Status Refuse(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("invalid token: ", why));
}

bool VerifyHs256(const std::string& secret, absl::string_view signed_part,
                 const std::string& signature) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
       &length);
  // Constant time: the comparison must not tell an attacker how many bytes matched.
  return length == signature.size() && CRYPTO_memcmp(mac, signature.data(), length) == 0;
}

bool VerifyRs256(EVP_PKEY* key, absl::string_view signed_part, const std::string& signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace

std::string Base64UrlEncode(absl::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

bool Base64UrlDecode(absl::string_view text, std::string* bytes) {
  bytes->clear();
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = std::strchr(kAlphabet, c);
    if (c == '\0' || at == nullptr) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(at - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return bits < 6;  // a lone 6-bit group cannot end valid base64url
}

JwtVerifier::JwtVerifier(std::unique_ptr<Keys> keys, Clock& clock)
    : keys_(std::move(keys)), clock_(clock) {}

JwtVerifier::~JwtVerifier() = default;

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    std::string hs256_secret, const std::string& rs256_public_key_pem, Clock& clock) {
  auto keys = std::make_unique<Keys>();
  if (hs256_secret.empty() && rs256_public_key_pem.empty()) {
    return absl::InvalidArgumentError("JWT verification needs an HS256 secret or an RS256 key");
  }
  if (!hs256_secret.empty() && hs256_secret.size() < 32) {
    return absl::InvalidArgumentError("the HS256 secret must be at least 32 bytes");
  }
  keys->hs256_secret = std::move(hs256_secret);
  if (!rs256_public_key_pem.empty()) {
    BIO* bio =
        BIO_new_mem_buf(rs256_public_key_pem.data(), static_cast<int>(rs256_public_key_pem.size()));
    keys->rs256 = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (keys->rs256 == nullptr || EVP_PKEY_base_id(keys->rs256) != EVP_PKEY_RSA) {
      return absl::InvalidArgumentError("the RS256 key is not a PEM RSA public key");
    }
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(keys), clock));
}

bool JwtVerifier::LooksLikeJwt(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  return parts.size() == 3 && !parts[0].empty() && !parts[1].empty();
}

absl::StatusOr<Principal> JwtVerifier::Verify(absl::string_view token) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Refuse("not a JWT");
  std::string header_text, claims_text, signature;
  if (!Base64UrlDecode(parts[0], &header_text) || !Base64UrlDecode(parts[1], &claims_text) ||
      !Base64UrlDecode(parts[2], &signature)) {
    return Refuse("not base64url");
  }
  const nlohmann::json header = nlohmann::json::parse(header_text, nullptr, false);
  const nlohmann::json claims = nlohmann::json::parse(claims_text, nullptr, false);
  if (!header.is_object() || !claims.is_object())
    return Refuse("header and claims must be JSON objects");

  // The signature first: nothing in an unverified token is trusted.
  const std::string alg = header.value("alg", "");
  const absl::string_view signed_part(token.data(), parts[0].size() + 1 + parts[1].size());
  if (alg == "HS256" && !keys_->hs256_secret.empty()) {
    if (!VerifyHs256(keys_->hs256_secret, signed_part, signature)) return Refuse("bad signature");
  } else if (alg == "RS256" && keys_->rs256 != nullptr) {
    if (!VerifyRs256(keys_->rs256, signed_part, signature)) return Refuse("bad signature");
  } else {
    return Refuse(absl::StrCat("algorithm '", alg, "' is not accepted"));
  }

  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  if (!claims.contains("exp") || !claims["exp"].is_number_integer()) {
    return Refuse("no expiry (exp)");
  }
  if (claims["exp"].get<int64_t>() <= now) return Refuse("expired");
  if (claims.contains("nbf") && claims["nbf"].is_number_integer() &&
      claims["nbf"].get<int64_t>() > now) {
    return Refuse("not valid yet (nbf)");
  }

  Principal p;
  p.scope = {claims.value("org", ""), claims.value("project", "")};
  const bool any = p.scope.org_id == kAnyScope && p.scope.project_id == kAnyScope;
  if (!any &&
      (!model::IsValidScopeId(p.scope.org_id) || !model::IsValidScopeId(p.scope.project_id))) {
    return Refuse("org and project claims must both be * or both be ids");
  }
  std::vector<std::string> role_names;
  if (claims.contains("roles") && claims["roles"].is_array()) {
    for (const auto& r : claims["roles"]) {
      if (r.is_string()) role_names.push_back(r.get<std::string>());
    }
  } else if (claims.contains("roles") && claims["roles"].is_string()) {
    role_names = absl::StrSplit(claims["roles"].get<std::string>(), ',', absl::SkipEmpty());
  }
  for (const std::string& name : role_names) {
    std::optional<Role> role = ParseRole(name);
    if (!role.has_value()) return Refuse(absl::StrCat("unknown role '", name, "'"));
    p.roles.insert(*role);
  }
  if (p.roles.empty()) return Refuse("no roles");
  if ((p.Has(Role::kAdmin) || p.Has(Role::kService)) != any) {
    return Refuse("admin and service tokens have * scope; member and reader tokens a project");
  }
  p.subject = absl::StrCat(p.scope.org_id, "/", p.scope.project_id,
                           "/jwt:", claims.value("sub", std::string("?")));
  return p;
}

}  // namespace plasmanet::auth
