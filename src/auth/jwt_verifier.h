// JwtVerifier: checks JSON Web Tokens (RFC 7519) signed with HS256 (a shared secret) or RS256
// (an RSA key pair; plasmanetd holds the public key) and turns their claims into a Principal.
//
// Claims: "org", "project" (or "*" for both on platform principals), "roles" (an array or a
// comma-separated string of admin, member, reader, service), "exp" (required: a token that
// never expires is refused), optional "nbf" and "sub". The same scope rules as the token file
// apply. Only the algorithm a key is configured for is accepted ("none" never is).
//
//   PN_ASSIGN_OR_RETURN(JwtVerifier jwt, JwtVerifier::Create(secret, public_key_pem, clock));
//   absl::StatusOr<Principal> who = jwt.Verify(token);
//
// Immutable after Create; thread-safe.
#pragma once

#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "auth/principal.h"
#include "common/clock.h"

namespace plasmanet::auth {

class JwtVerifier {
 public:
  // `hs256_secret` and/or `rs256_public_key_pem` (either may be empty, not both).
  // INVALID_ARGUMENT for an unusable key.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      std::string hs256_secret, const std::string& rs256_public_key_pem, Clock& clock);
  ~JwtVerifier();

  // True if `token` has the shape of a JWT (three base64url parts).
  static bool LooksLikeJwt(absl::string_view token);

  // The principal the token stands for. UNAUTHENTICATED with the reason otherwise.
  absl::StatusOr<Principal> Verify(absl::string_view token) const;

 private:
  struct Keys;
  JwtVerifier(std::unique_ptr<Keys> keys, Clock& clock);

  std::unique_ptr<Keys> keys_;
  Clock& clock_;
};

// base64url without padding, as JWTs use it. Exposed for tests that mint tokens.
std::string Base64UrlEncode(absl::string_view bytes);
bool Base64UrlDecode(absl::string_view text, std::string* bytes);

}  // namespace plasmanet::auth
