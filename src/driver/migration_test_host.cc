#include "driver/migration_test_host.h"

#include <algorithm>

namespace vap::driver {

std::string ReadAll(MigrationFile& f, size_t chunk) {
  std::string out;
  for (;;) {
    Result<std::string> piece = f.Read(chunk);
    EXPECT_TRUE(piece.ok()) << piece.status().ToString();
    if (!piece.ok() || piece->empty()) return out;
    out += *piece;
  }
}

Status WriteAll(MigrationFile& f, std::string_view blob, size_t head,
                size_t body) {
  size_t at = 0;
  while (at < blob.size()) {
    const size_t step = at < kMigHeaderPrefix
                            ? std::min(head, kMigHeaderPrefix - at)
                            : body;
    const std::string_view piece = blob.substr(at, step);
    Result<size_t> n = f.Write(piece);
    if (!n.ok()) return n.status();
    EXPECT_EQ(*n, piece.size());
    at += piece.size();
  }
  return Status::Ok();
}

}  // namespace vap::driver
