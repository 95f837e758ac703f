// Fuzzes the mdev create input and APQN parsers: never crash; accepted
// values print in canonical lowercase form and parse back to themselves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/check.h"
#include "matrix/apqn.h"
#include "matrix/uuid.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const vap::Result<vap::Uuid> u = vap::Uuid::ParseCreateInput(input);
  if (u.ok()) {
    const std::string text = u->ToString();
    VAP_CHECK(text.size() == 36);
    for (char c : text) VAP_CHECK(!(c >= 'A' && c <= 'Z'));
    VAP_CHECK(*vap::Uuid::Parse(text) == *u);
  } else {
    VAP_CHECK(u.status().errno_value() == EINVAL);
  }
  const vap::Result<vap::Apqn> q = vap::Apqn::Parse(input);
  if (q.ok()) VAP_CHECK(*vap::Apqn::Parse(q->ToString()) == *q);
  return 0;
}
