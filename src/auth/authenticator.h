// Authenticator: turns a bearer token into a Principal, from the static token file or, when a
// key is configured, from a signed JWT. Immutable after construction; thread-safe.
#pragma once

#include <memory>
#include <optional>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "auth/jwt_verifier.h"
#include "auth/principal.h"
#include "auth/token_file.h"

namespace plasmanet::auth {

class Authenticator {
 public:
  // Either part may be absent; with neither, every token is refused.
  Authenticator(std::optional<TokenFile> tokens, std::unique_ptr<JwtVerifier> jwt)
      : tokens_(std::move(tokens)), jwt_(std::move(jwt)) {}

  // UNAUTHENTICATED with the reason when the token is unknown, forged or expired.
  absl::StatusOr<Principal> Authenticate(absl::string_view bearer_token) const;

  size_t static_tokens() const { return tokens_ ? tokens_->size() : 0; }
  bool accepts_jwt() const { return jwt_ != nullptr; }

 private:
  std::optional<TokenFile> tokens_;
  std::unique_ptr<JwtVerifier> jwt_;
};

}  // namespace plasmanet::auth
