// vap::Result<T>: a T, or the Status saying why there is none
// (StatusOr-like, until C++23's std::expected).
//
//   vap::Result<std::string> text = host->Read("bus/ap/apmask");
//   if (text.ok()) use(*text); else report(text.status());
//
// Asking an error Result for its value, or making a Result from an OK
// Status, is a bug: the program aborts with a message.
#ifndef VAP_RESULT_H_
#define VAP_RESULT_H_

#include <utility>
#include <variant>

#include "vap/status.h"

namespace vap {

namespace result_internal {
// Aborts, naming the misuse.
[[noreturn]] void Misuse(const char* what);
}  // namespace result_internal

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok())
      result_internal::Misuse("Result from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK if there is a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  const T& value() const& {
    if (!ok()) result_internal::Misuse("Result::value() on an error");
    return std::get<T>(v_);
  }
  T& value() & {
    if (!ok()) result_internal::Misuse("Result::value() on an error");
    return std::get<T>(v_);
  }
  T&& value() && {
    if (!ok()) result_internal::Misuse("Result::value() on an error");
    return std::get<T>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace vap

#define VAP_RESULT_CONCAT_INNER_(a, b) a##b
#define VAP_RESULT_CONCAT_(a, b) VAP_RESULT_CONCAT_INNER_(a, b)

// VAP_ASSIGN_OR_RETURN(auto x, Foo()); returns Foo()'s Status on error.
#define VAP_ASSIGN_OR_RETURN(lhs, expr)                                      \
  VAP_ASSIGN_OR_RETURN_IMPL_(VAP_RESULT_CONCAT_(vap_result_, __LINE__), lhs, \
                             expr)
#define VAP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#endif  // VAP_RESULT_H_
