// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/state_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace vfiohooks {

namespace {

// NAME_MAX on every Linux filesystem /run can be.
constexpr std::size_t kMaxFileName = 255;

bool is_kept(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::string index_key(std::string_view domain) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string key;
  key.reserve(domain.size());
  for (const char c : domain) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_kept(byte)) {
      key += c;
    } else {
      key += '%';
      key += kHex[byte >> 4];
      key += kHex[byte & 0xf];
    }
  }
  return key;
}

std::string entry_path(const std::string& records_dir, const std::string& name) { return records_dir + "/" + name; }

}  // namespace

std::optional<std::string> index_entry_name(const PciAddress& address, std::string_view domain) {
  std::string name = address.str() + kIndexSeparator + index_key(domain);
  if (name.size() > kMaxFileName) return std::nullopt;
  return name;
}

void add_index_entry(const std::string& records_dir, const PciAddress& address, std::string_view domain) {
  const auto name = index_entry_name(address, domain);
  if (!name) return;
  const int fd = ::open(entry_path(records_dir, *name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
}

void remove_index_entry(const std::string& records_dir, const PciAddress& address, std::string_view domain) {
  if (const auto name = index_entry_name(address, domain)) ::unlink(entry_path(records_dir, *name).c_str());
}

bool domain_may_hold(const std::string& records_dir, std::string_view domain) {
  DIR* dir = ::opendir(records_dir.c_str());
  if (dir == nullptr) return errno != ENOENT && errno != ENOTDIR;
  const std::string key = index_key(domain);
  std::vector<std::string> records;  // addresses with a record
  std::vector<std::string> indexed;  // addresses with an entry for another domain
  bool named = false, unreadable = false;
  for (;;) {
    errno = 0;  // readdir's end and its failure both return nullptr
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      unreadable = errno != 0;
      break;
    }
    const std::string_view name = entry->d_name;
    if (name.ends_with(kRecordSuffix)) {
      records.emplace_back(name.substr(0, name.size() - kRecordSuffix.size()));
      continue;
    }
    const std::size_t at = name.find(kIndexSeparator);
    if (at == std::string_view::npos) continue;  // "." and "..", a record's temp file
    if (name.substr(at + 1) == key) {
      named = true;
      break;
    }
    indexed.emplace_back(name.substr(0, at));
  }
  ::closedir(dir);
  if (named || unreadable) return true;
  std::sort(indexed.begin(), indexed.end());
  return std::any_of(records.begin(), records.end(),
                     [&](const std::string& address) { return !std::binary_search(indexed.begin(), indexed.end(), address); });
}

}  // namespace vfiohooks
