// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "plugin/kernel/kernel_view.h"

namespace vfiohooks {

// One line of /proc/PID/mountinfo, escapes removed.
struct Mount {
  unsigned id = 0;            // unique across mount namespaces
  DevNumber device;           // st_dev of the files on it
  std::string root;           // the directory of the filesystem mounted here ("/" unless a bind mount)
  std::string mount_point;    // as the reading process sees it (relative to its root)
  std::string mount_options;  // the mount's own ("rw,nosuid,nodev,relatime")
  std::string fs_type;
  std::string source;
  std::string options;      // the filesystem's own (super) options, escapes kept
  // overlay: every layer directory as the mounter named it (lowerdir entries, then upperdir and
  // workdir), in the mounter's root and working directory; empty for other filesystems.
  std::vector<std::string> layers;
};

// Parses mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER.
// Lines it cannot read are skipped.
std::vector<Mount> parse_mountinfo(std::string_view text);

// Whether the mount's own options hold `option` ("nodev").
bool has_mount_option(const Mount& mount, std::string_view option);

// The layer directories named by an overlay's super options ("rw,lowerdir=/a:/b,upperdir=/u,...").
std::vector<std::string> overlay_layers(std::string_view super_options);

// mountinfo writes a blank, tab, newline and backslash in a path as octal (\040).
std::string unescape_octal(std::string_view text);

}  // namespace vfiohooks
