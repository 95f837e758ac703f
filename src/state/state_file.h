// The state file on disk, written so that a crash at any moment leaves
// either the old file or the new one, whole (docs/state.md), and opened
// so that another local user cannot redirect or feed it (docs/security.md).
#ifndef VAP_STATE_STATE_FILE_H_
#define VAP_STATE_STATE_FILE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "base/result.h"

namespace vap::state {

// The largest state file (or journal) vapd reads: 65,536 mdevs take about
// 20 MiB.
inline constexpr size_t kMaxStateFileSize = size_t{256} << 20;

// Refuses (EPERM, naming the problem) a state path that another user
// could swap or pre-create: its directory is writable by a group or by
// others without the sticky bit, or is owned by another user than root
// and vapd's; or the file exists and is owned by another user.
Status CheckStatePath(const std::string& path);

// The file's contents; nullopt if it does not exist. A symlink (ELOOP),
// anything but a regular file (a FIFO, a device: EINVAL) or a file larger
// than kMaxStateFileSize (EFBIG) is refused without being read; other
// errors (EACCES, ...) come back with the path in the message.
Result<std::optional<std::string>> ReadStateFile(const std::string& path);

// Writes a new temporary file beside PATH (O_EXCL, unpredictable name,
// mode 0600), fsyncs it, renames it over PATH and fsyncs the directory:
// after it returns OK the new contents survive a crash or a power cut;
// before, PATH is unchanged.
Status WriteStateFile(const std::string& path, const std::string& contents);

}  // namespace vap::state

#endif  // VAP_STATE_STATE_FILE_H_
