// The state file on disk, written so that a crash at any moment leaves
// either the old file or the new one, whole (docs/state.md).
#ifndef VAP_STATE_STATE_FILE_H_
#define VAP_STATE_STATE_FILE_H_

#include <optional>
#include <string>

#include "base/result.h"

namespace vap::state {

// The file's contents; nullopt if it does not exist. Other errors
// (EACCES, EISDIR, ...) come back with the path in the message.
Result<std::optional<std::string>> ReadStateFile(const std::string& path);

// Writes PATH.tmp (mode 0600), fsyncs it, renames it over PATH and fsyncs
// the directory: after it returns OK the new contents survive a crash or a
// power cut; before, PATH is unchanged.
Status WriteStateFile(const std::string& path, const std::string& contents);

}  // namespace vap::state

#endif  // VAP_STATE_STATE_FILE_H_
