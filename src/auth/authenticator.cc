#include "auth/authenticator.h"

namespace plasmanet::auth {

absl::StatusOr<Principal> Authenticator::Authenticate(absl::string_view bearer_token) const {
  if (tokens_.has_value()) {
    if (std::optional<Principal> principal = tokens_->Lookup(bearer_token)) return *principal;
  }
  if (jwt_ != nullptr && JwtVerifier::LooksLikeJwt(bearer_token)) {
    return jwt_->Verify(bearer_token);
  }
  return absl::UnauthenticatedError("unknown token");
}

}  // namespace plasmanet::auth
