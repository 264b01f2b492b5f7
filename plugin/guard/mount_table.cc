// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/guard/mount_table.h"

#include <charconv>

namespace vfiohooks {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  for (auto word : split(line, ' ')) {
    if (!word.empty()) out.push_back(word);
  }
  return out;
}

// The lowerdir value as the mounter wrote it: ':' separates layers ("::" before data-only layers),
// and a backslash escapes the next character ("\:" is a colon inside a name).
// FACTS (fs/overlayfs, ovl_parse_param_split_lowerdirs and ovl_unescape).
std::vector<std::string> split_lowerdir(std::string_view value) {
  std::vector<std::string> layers(1);
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      layers.back() += value[++i];
    } else if (value[i] == ':') {
      if (!layers.back().empty()) layers.emplace_back();
    } else {
      layers.back() += value[i];
    }
  }
  if (layers.back().empty()) layers.pop_back();
  return layers;
}

}  // namespace

std::string unescape_octal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      const std::string_view digits = text.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string_view::npos) {
        out += static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool has_mount_option(const Mount& mount, std::string_view option) {
  for (auto each : split(mount.mount_options, ',')) {
    if (each == option) return true;
  }
  return false;
}

std::vector<std::string> overlay_layers(std::string_view super_options) {
  // FACTS (seq_show_option): each option value has ',', ' ', '\t', '\n' and '\\' octal-escaped, so
  // a literal comma never separates options. Kernels before 6.5 (and lowerdir= since) show the
  // lowerdir string the mounter gave; 6.7+ shows layers added with the new mount API as separate
  // lowerdir+ and datadir+ options.
  std::vector<std::string> lower, rest;
  for (auto option : split(super_options, ',')) {
    const auto equals = option.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = option.substr(0, equals);
    const std::string value = unescape_octal(option.substr(equals + 1));
    if (key == "lowerdir") {
      for (auto& layer : split_lowerdir(value)) lower.push_back(std::move(layer));
    } else if (key == "lowerdir+" || key == "datadir+") {
      lower.push_back(value);
    } else if (key == "upperdir" || key == "workdir") {
      rest.push_back(value);
    }
  }
  lower.insert(lower.end(), rest.begin(), rest.end());
  return lower;
}

std::vector<Mount> parse_mountinfo(std::string_view text) {
  std::vector<Mount> mounts;
  for (auto line : split(text, '\n')) {
    const auto fields = words(line);
    std::size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 5 || dash + 2 >= fields.size()) continue;
    Mount mount;
    const auto device = parse_dev_number(fields[2]);
    const auto parsed = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), mount.id);
    if (!device || parsed.ec != std::errc()) continue;
    mount.device = *device;
    mount.root = unescape_octal(fields[3]);
    mount.mount_point = unescape_octal(fields[4]);
    mount.mount_options = std::string(fields[5]);
    mount.fs_type = unescape_octal(fields[dash + 1]);
    mount.source = unescape_octal(fields[dash + 2]);
    if (dash + 3 < fields.size()) mount.options = std::string(fields[dash + 3]);
    if (mount.fs_type == "overlay") mount.layers = overlay_layers(mount.options);
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

}  // namespace vfiohooks
