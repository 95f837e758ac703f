#include "driver/migration_blob.h"

#include <fmt/format.h>

#include <cerrno>

namespace vap::driver {

namespace {

void PutBe(std::string& out, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out[at + static_cast<size_t>(i)] =
        static_cast<char>(v >> (8 * (bytes - 1 - i)));
  }
}

uint64_t GetBe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = v << 8 | static_cast<uint8_t>(in[at + static_cast<size_t>(i)]);
  }
  return v;
}

bool Bit(uint64_t gr2, unsigned n) { return ((gr2 >> (63 - n)) & 1) != 0; }

}  // namespace

std::string EncodeMigBlob(const MigBlob& blob) {
  std::string out(MigBlobSize(blob.records.size()), '\0');
  PutBe(out, 0, kMigMagic, 4);
  PutBe(out, 4, kMigVersion, 4);
  PutBe(out, 8, blob.records.size(), 4);
  const std::array<uint8_t, 32> adm = blob.adm.BigEndianBytes();
  for (size_t i = 0; i < adm.size(); ++i) out[16 + i] = static_cast<char>(adm[i]);
  size_t at = kMigHeaderSize;
  for (const MigRecord& r : blob.records) {
    PutBe(out, at, r.hwinfo, 8);
    PutBe(out, at + 8, r.apqn.qid(), 2);
    at += kMigRecordSize;
  }
  return out;
}

MigHeaderPrefix DecodeMigHeaderPrefix(std::string_view bytes) {
  MigHeaderPrefix h;
  h.magic = static_cast<uint32_t>(GetBe(bytes, 0, 4));
  h.version = static_cast<uint32_t>(GetBe(bytes, 4, 4));
  h.queues = static_cast<uint32_t>(GetBe(bytes, 8, 4));
  return h;
}

Status CheckMigHeaderPrefix(const MigHeaderPrefix& h) {
  if (h.magic != kMigMagic) {
    return Status::Error(EINVAL, fmt::format("bad magic {:#010x}", h.magic));
  }
  if (h.version != kMigVersion) {
    return Status::Error(EINVAL, fmt::format("unknown version {}", h.version));
  }
  if (h.queues > kMigMaxQueues) {
    return Status::Error(EINVAL, fmt::format("{} queues", h.queues));
  }
  return Status::Ok();
}

Result<MigBlob> DecodeMigBlob(std::string_view bytes) {
  if (bytes.size() < kMigHeaderSize) {
    return Status::Error(EIO, "shorter than the header");
  }
  const MigHeaderPrefix h = DecodeMigHeaderPrefix(bytes);
  VAP_RETURN_IF_ERROR(CheckMigHeaderPrefix(h));
  if (bytes.size() != MigBlobSize(h.queues)) {
    return Status::Error(EIO, "size does not match the number of queues");
  }
  MigBlob blob;
  std::array<uint8_t, 32> adm{};
  for (size_t i = 0; i < adm.size(); ++i) {
    adm[i] = static_cast<uint8_t>(bytes[16 + i]);
  }
  blob.adm = ApMask::FromBigEndianBytes(adm);
  blob.records.reserve(h.queues);
  for (size_t i = 0, at = kMigHeaderSize; i < h.queues;
       ++i, at += kMigRecordSize) {
    blob.records.push_back(
        {GetBe(bytes, at, 8),
         Apqn::FromQid(static_cast<uint16_t>(GetBe(bytes, at + 8, 2)))});
  }
  return blob;
}

HwInfoFields DecodeHwInfo(uint64_t gr2) {
  HwInfoFields f;
  f.apsc = Bit(gr2, 0);
  f.mex4k = Bit(gr2, 1);
  f.crt4k = Bit(gr2, 2);
  f.cca = Bit(gr2, 3);
  f.accel = Bit(gr2, 4);
  f.ep11 = Bit(gr2, 5);
  f.apxa = Bit(gr2, 6);
  f.slcf = Bit(gr2, 7);
  f.native = Bit(gr2, 8);
  f.bs = static_cast<unsigned>((gr2 >> 46) & 3);
  f.type = static_cast<unsigned>((gr2 >> 24) & 0xff);
  return f;
}

std::vector<std::string> IncompatibilityLines(uint64_t source, uint64_t target,
                                              Apqn apqn) {
  const HwInfoFields s = DecodeHwInfo(source), t = DecodeHwInfo(target);
  const std::string q = apqn.ToString();
  std::vector<std::string> lines;
  auto facility = [&](bool in_s, bool in_t, const char* name,
                      const char* verb) {
    if (in_s == in_t) return;
    lines.push_back(fmt::format("{} {}{} in source queue {}", name,
                                in_s ? "" : "not ", verb, q));
    lines.push_back(fmt::format("{} {}{} in target queue {}", name,
                                in_t ? "" : "not ", verb, q));
  };
  facility(s.apsc, t.apsc, "APSC facility", "installed");
  facility(s.mex4k, t.mex4k, "mex4k facility", "installed");
  facility(s.crt4k, t.crt4k, "crt4k facility", "installed");
  facility(s.cca, t.cca, "Coprocessor-mode facility", "installed");
  facility(s.accel, t.accel, "Accelerator-mode facility", "installed");
  facility(s.ep11, t.ep11, "XCP-mode facility", "installed");
  facility(s.apxa, t.apxa, "AP-extended-addressing (APXA) facility",
           "installed");
  facility(s.slcf, t.slcf, "Stateless-command-filtering (SLCF)", "available");
  if (s.type > t.type) {
    lines.push_back(fmt::format(
        "AP type of source ({:02x}) not compatible with target ({:02x})",
        s.type, t.type));
  }
  if (s.bs != 0 || t.bs != 0) {
    lines.push_back(fmt::format(
        "Bind/associate state for source ({:x}) and target ({:x}) queue {} "
        "must be 0",
        s.bs, t.bs, q));
  }
  if (s.native && !t.native) {
    lines.push_back(
        fmt::format("Full native card function available on source queue {}", q));
    lines.push_back(
        fmt::format("Only stateless functions available on target queue {}", q));
  }
  if (!lines.empty()) {
    lines.insert(lines.begin(),
                 fmt::format("Migration failed: Source and target queue ({}) "
                             "not compatible",
                             q));
  }
  return lines;
}

}  // namespace vap::driver
