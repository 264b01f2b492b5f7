// SPDX-License-Identifier: LGPL-2.1-or-later
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "plugin/base/sysfs_reader.h"
#include "xml/network_source.h"
#include "xml/xml_document.h"

namespace vfiohooks {
namespace {

// The whole file, up to the XML reader's limit and a byte (which the reader then refuses); nullopt
// when it does not exist.
Expected<std::optional<std::string>> read_whole(const std::filesystem::path& path, const std::string& shown) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return fail(shown + ": " + std::strerror(errno), errno);
  }
  std::string text;
  char buffer[65536];
  while (text.size() <= kMaxXmlBytes) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return fail(shown + ": " + std::strerror(error), error);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

// libvirt refuses a network name with '/' (virNetworkDefParseXML), so no file has one.
bool is_file_name(const std::string& name) { return !name.empty() && name.find('/') == std::string::npos; }

}  // namespace

Expected<std::optional<NetworkXml>> LibvirtNetworkFiles::definition(const std::string& name) {
  if (!is_file_name(name)) return std::nullopt;
  for (const bool active : {true, false}) {
    const std::string shown =
        std::string(active ? kLibvirtNetworkStatusDir : kLibvirtNetworkConfigDir) + "/" + name + ".xml";
    auto text = read_whole(paths_.under(shown), shown);
    if (!text) return tl::unexpected(text.error());
    if (*text) return NetworkXml{shown, std::move(**text), active};
  }
  return std::nullopt;
}

Expected<std::vector<std::string>> LibvirtNetworkFiles::ports(const std::string& name) {
  std::vector<std::string> ports;
  if (!is_file_name(name)) return ports;
  const std::string dir = std::string(kLibvirtNetworkStatusDir) + "/" + name + "/ports";
  for (const auto& entry : list_directory(paths_.under(dir))) {
    if (!entry.ends_with(".xml")) continue;
    auto text = read_whole(paths_.under(dir + "/" + entry), dir + "/" + entry);
    if (!text) return tl::unexpected(text.error());
    if (*text) ports.push_back(std::move(**text));
  }
  return ports;
}

}  // namespace vfiohooks
