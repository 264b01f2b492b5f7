// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <string_view>

#include "plugin/base/error.h"

namespace vfiohooks {

// Creates `dir` and its missing parents, mode 0700: vfio-hooks' state is root's business only.
Expected<void> ensure_private_directory(const std::filesystem::path& dir);

// Replaces `path` with `text` atomically and durably: a temp file beside it (mode 0600), fsync,
// rename, fsync of the directory. A crash leaves the old content or the new, never a mix.
Expected<void> write_durably(const std::filesystem::path& path, std::string_view text);

// Deletes `path` (succeeds when it is already gone) and syncs its directory.
Expected<void> remove_durably(const std::filesystem::path& path);

}  // namespace vfiohooks
