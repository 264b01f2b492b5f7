// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/network_lookup.h"

#include <cerrno>

#include "tools/host_facts.h"

namespace vfiohooks::vfioctl {

NetworkLookup::NetworkLookup(const Context& ctx) : ctx_(ctx) {
  if (!facts_from_libvirt(ctx)) files_.emplace(ctx.paths);
}

Expected<Connection*> NetworkLookup::connection() {
  if (!connection_) {
    auto opened = ctx_.connect(ctx_.options.uri, Access::read_only);
    if (!opened) return tl::unexpected(opened.error());
    connection_.emplace(std::move(*opened));
  }
  return &*connection_;
}

Expected<std::optional<NetworkXml>> NetworkLookup::definition(const std::string& name) {
  if (files_) {
    auto read = files_->definition(name);
    // --root is a host of its own: its files are the only truth about it.
    const bool denied = !read && (read.error().code == EACCES || read.error().code == EPERM);
    if (!denied || ctx_.options.root_given) {
      from_libvirt_[name] = false;
      return read;
    }
  }
  auto connected = connection();
  if (!connected) return tl::unexpected(connected.error());
  auto network = (*connected)->network(name);
  if (!network) return tl::unexpected(network.error());
  from_libvirt_[name] = true;
  if (!*network) return std::nullopt;
  return NetworkXml{"libvirt", std::move((*network)->first), (*network)->second};
}

Expected<std::vector<std::string>> NetworkLookup::ports(const std::string& name) {
  if (files_ && !from_libvirt_[name]) return files_->ports(name);
  auto connected = connection();
  if (!connected) return tl::unexpected(connected.error());
  return (*connected)->network_ports(name);
}

}  // namespace vfiohooks::vfioctl
