// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/connection_uri.h"

namespace vfiohooks::vfioctl {

UriKind classify_uri(std::string_view uri) {
  const auto colon = uri.find(':');
  const std::string_view scheme = uri.substr(0, colon == std::string_view::npos ? 0 : colon);
  const std::string_view driver = scheme.substr(0, scheme.find('+'));
  if (driver == "test") return UriKind::test;
  // "scheme://authority/path": an authority that is not empty names another host (even 127.0.0.1:
  // the daemon there may be in another namespace, and it is reached the way a remote one is).
  if (colon != std::string_view::npos && uri.substr(colon + 1).starts_with("//")) {
    const std::string_view rest = uri.substr(colon + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (!authority.empty()) return UriKind::remote;
  }
  return UriKind::local;
}

}  // namespace vfiohooks::vfioctl
