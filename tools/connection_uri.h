// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

namespace vfiohooks::vfioctl {

// Where a libvirt URI's host is, which decides where vfioctl may look for device facts.
enum class UriKind {
  local,   // this machine's daemon (qemu:///system, qemu+unix:///system): facts from local sysfs
  test,    // libvirt's in-process test driver (test:///default, test:///ABS/PATH.xml): facts from
           // its node devices, and nothing on this machine may change on its behalf
  remote,  // a host part (qemu+ssh://host/system, qemu+tcp://127.0.0.1/system): facts from its
           // node-device XML, never from local sysfs; nothing is bound or restored from here
};

// Classifies `uri` by its scheme and host part, as libvirt's URI parser sees them.
UriKind classify_uri(std::string_view uri);

}  // namespace vfiohooks::vfioctl
