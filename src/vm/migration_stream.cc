#include "vm/migration_stream.h"

#include <fmt/format.h>

#include <cerrno>

namespace vap::vm {

namespace {

void PutBe64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetBe64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(in[i]);
  return v;
}

Status Bad(std::string_view why) {
  return Status::Error(EINVAL, fmt::format("migration stream: {}", why));
}

}  // namespace

std::string StreamSetup() {
  std::string out;
  PutBe64(out, kVfioMigFlagDevSetupState);
  PutBe64(out, kVfioMigFlagEndOfState);
  return out;
}

std::string StreamData(std::string_view bytes) {
  std::string out;
  PutBe64(out, kVfioMigFlagDevDataState);
  PutBe64(out, bytes.size());
  out.append(bytes);
  return out;
}

std::string StreamEnd() {
  std::string out;
  PutBe64(out, kVfioMigFlagEndOfState);
  return out;
}

std::string StreamConfig() {
  std::string out;
  PutBe64(out, kVfioMigFlagDevConfigState);
  PutBe64(out, kVfioMigFlagEndOfState);
  return out;
}

Status StreamLoader::Feed(std::string_view bytes, const DataSink& sink) {
  if (phase_ == Phase::kFailed) return Bad("an earlier part failed");
  while (!bytes.empty()) {
    // Take no more than the record in progress can use, so that what is
    // pending stays bounded by one record.
    size_t want = 8;
    if (phase_ == Phase::kData && pending_.size() >= 8 &&
        GetBe64(pending_) == kVfioMigFlagDevDataState) {
      want = pending_.size() < 16 ? 16 : 16 + GetBe64(pending_.substr(8));
    }
    const size_t take = std::min(bytes.size(), want - pending_.size());
    pending_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    bool progress = true;
    while (progress) {
      const Status s = Step(sink, &progress);
      if (!s.ok()) {
        phase_ = Phase::kFailed;
        pending_.clear();
        return s;
      }
    }
  }
  return Status::Ok();
}

Status StreamLoader::Step(const DataSink& sink, bool* progress) {
  *progress = false;
  if (pending_.size() < 8) return Status::Ok();
  const uint64_t flag = GetBe64(pending_);
  switch (phase_) {
    case Phase::kSetup:
      if (flag != kVfioMigFlagDevSetupState) return Bad("no setup section");
      phase_ = Phase::kSetupEnd;
      break;
    case Phase::kSetupEnd:
      if (flag != kVfioMigFlagEndOfState) return Bad("setup section not ended");
      phase_ = Phase::kData;
      break;
    case Phase::kData:
      if (flag == kVfioMigFlagEndOfState) {
        phase_ = Phase::kConfig;
        break;
      }
      if (flag != kVfioMigFlagDevDataState) return Bad("unknown flag");
      if (pending_.size() < 16) return Status::Ok();
      {
        const uint64_t len = GetBe64(std::string_view(pending_).substr(8));
        if (len > kVfioMigBufferSize) return Bad("a record above 1 MiB");
        if (pending_.size() < 16 + len) return Status::Ok();
        VAP_RETURN_IF_ERROR(sink(std::string_view(pending_).substr(16, len)));
      }
      break;
    case Phase::kConfig:
      if (flag != kVfioMigFlagDevConfigState) return Bad("no config section");
      phase_ = Phase::kConfigEnd;
      break;
    case Phase::kConfigEnd:
      // vfio_load_device_config_state(): no config to load, so the end.
      if (flag != kVfioMigFlagEndOfState) return Bad("wrong end of block");
      phase_ = Phase::kEnded;
      break;
    case Phase::kEnded:
      return Bad("bytes after the end of the device's state");
    case Phase::kFailed:
      return Bad("an earlier part failed");
  }
  pending_.clear();
  *progress = true;
  return Status::Ok();
}

}  // namespace vap::vm
