// VAP_CHECK: a broken invariant is a bug, and a bug aborts
// (docs/architecture.md, "Errors"). Active in every build type. VAP_DCHECK is
// for checks too costly for Release builds.
#ifndef VAP_BASE_CHECK_H_
#define VAP_BASE_CHECK_H_

namespace vap::check_internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr,
                              const char* message);
}  // namespace vap::check_internal

#define VAP_CHECK(cond)                                                  \
  do {                                                                   \
    if (!(cond)) [[unlikely]]                                            \
      ::vap::check_internal::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (false)

#define VAP_CHECK_MSG(cond, message)                                \
  do {                                                              \
    if (!(cond)) [[unlikely]]                                       \
      ::vap::check_internal::CheckFailed(__FILE__, __LINE__, #cond, \
                                         (message));                \
  } while (false)

#ifdef NDEBUG
#define VAP_DCHECK(cond) \
  do {                   \
  } while (false)
#else
#define VAP_DCHECK(cond) VAP_CHECK(cond)
#endif

#endif  // VAP_BASE_CHECK_H_
