// Propagation helpers for absl::Status, in the spirit of abseil's newer status macros (which
// Debian 12's abseil does not ship yet).
//
//   PN_RETURN_IF_ERROR(store.Commit(txn));
//   PN_ASSIGN_OR_RETURN(Subnet subnet, LoadSubnet(id));
//
// Both evaluate their argument once. Thread-safe as far as the wrapped expression is.
#pragma once

#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#define PN_STATUS_CONCAT_INNER_(a, b) a##b
#define PN_STATUS_CONCAT_(a, b) PN_STATUS_CONCAT_INNER_(a, b)

#define PN_RETURN_IF_ERROR(expr)                              \
  do {                                                        \
    if (absl::Status pn_status_ = (expr); !pn_status_.ok()) { \
      return pn_status_;                                      \
    }                                                         \
  } while (false)

#define PN_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                              \
  if (!var.ok()) {                                \
    return std::move(var).status();               \
  }                                               \
  lhs = std::move(var).value()

#define PN_ASSIGN_OR_RETURN(lhs, expr) \
  PN_ASSIGN_OR_RETURN_IMPL_(PN_STATUS_CONCAT_(pn_statusor_, __LINE__), lhs, expr)
