// Clang thread-safety analysis attributes (-Wthread-safety), as in
// abseil's base/thread_annotations.h. Other compilers see nothing.
//
// Policy (docs/locking.md L3):
// - Every field protected by a lock is VAP_GUARDED_BY(that lock).
// - Every helper that expects a lock held is VAP_REQUIRES(lock) (or
//   VAP_REQUIRES_SHARED) and its name ends in `Locked`.
// - Every public entry point is VAP_EXCLUDES(the locks it takes).
// - Member locks declare their order with VAP_ACQUIRED_AFTER; clang 14
//   checks it only under -Wthread-safety-beta and only between named
//   members, so every lock also has a run-time rank (src/base/lock_rank.h).
// - VAP_NO_THREAD_SAFETY_ANALYSIS is allowed only with a `// SAFETY:`
//   comment that gives the argument. Known gaps to be fixed use
//   VAP_NO_THREAD_SAFETY_ANALYSIS_FIXME instead, so they can be found.
#ifndef VAP_BASE_THREAD_ANNOTATIONS_H_
#define VAP_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define VAP_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define VAP_THREAD_ANNOTATION_(x)
#endif

#define VAP_CAPABILITY(x) VAP_THREAD_ANNOTATION_(capability(x))
#define VAP_SCOPED_CAPABILITY VAP_THREAD_ANNOTATION_(scoped_lockable)
#define VAP_GUARDED_BY(x) VAP_THREAD_ANNOTATION_(guarded_by(x))
#define VAP_PT_GUARDED_BY(x) VAP_THREAD_ANNOTATION_(pt_guarded_by(x))
#define VAP_ACQUIRED_BEFORE(...) \
  VAP_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#define VAP_ACQUIRED_AFTER(...) \
  VAP_THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))
#define VAP_REQUIRES(...) \
  VAP_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define VAP_REQUIRES_SHARED(...) \
  VAP_THREAD_ANNOTATION_(requires_shared_capability(__VA_ARGS__))
#define VAP_ACQUIRE(...) VAP_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define VAP_ACQUIRE_SHARED(...) \
  VAP_THREAD_ANNOTATION_(acquire_shared_capability(__VA_ARGS__))
#define VAP_RELEASE(...) VAP_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define VAP_RELEASE_SHARED(...) \
  VAP_THREAD_ANNOTATION_(release_shared_capability(__VA_ARGS__))
#define VAP_RELEASE_GENERIC(...) \
  VAP_THREAD_ANNOTATION_(release_generic_capability(__VA_ARGS__))
#define VAP_TRY_ACQUIRE(...) \
  VAP_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#define VAP_TRY_ACQUIRE_SHARED(...) \
  VAP_THREAD_ANNOTATION_(try_acquire_shared_capability(__VA_ARGS__))
#define VAP_EXCLUDES(...) VAP_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define VAP_ASSERT_CAPABILITY(x) VAP_THREAD_ANNOTATION_(assert_capability(x))
#define VAP_ASSERT_SHARED_CAPABILITY(x) \
  VAP_THREAD_ANNOTATION_(assert_shared_capability(x))
#define VAP_RETURN_CAPABILITY(x) VAP_THREAD_ANNOTATION_(lock_returned(x))
#define VAP_NO_THREAD_SAFETY_ANALYSIS \
  VAP_THREAD_ANNOTATION_(no_thread_safety_analysis)
// A known gap in the annotations, to be fixed; never for a reasoned escape.
#define VAP_NO_THREAD_SAFETY_ANALYSIS_FIXME \
  VAP_THREAD_ANNOTATION_(no_thread_safety_analysis)

#endif  // VAP_BASE_THREAD_ANNOTATIONS_H_
