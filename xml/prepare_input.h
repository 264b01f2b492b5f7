// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "plugin/base/finding.h"
#include "plugin/plan/domain_request.h"
#include "plugin/records/policy.h"
#include "xml/network_source.h"

namespace vfiohooks {

// What the hook's prepare reads before it plans: the domain's PCI hostdevs and the policy for them.
// Shared by the hook and `vfioctl check`, so that both stop, skip or go on for the same reasons.
struct PrepareInput {
  enum class Skip {
    no,              // plan it
    no_pci_hostdev,  // the domain assigns no PCI device and draws from no hostdev pool: nothing to do
    mode_off,        // the config or the domain's metadata switch vfio-hooks off for it
  };
  DomainRequest request;
  Policy policy;
  Skip skip = Skip::no;
};

// Where the config file is, asked only when the domain assigns a PCI device; nullopt means the
// defaults (a remote host's config is not ours to read).
using ConfigLocator = std::function<std::optional<std::filesystem::path>()>;

// Reads `xml` (the domain XML on the hook's stdin, or from libvirt), names the domain `name` (libvirt's
// argv name; the XML's own name when empty), reads from `networks` each network an <interface
// type='network'> names (a hostdev pool becomes a DomainRequest::pools entry, with the ports it has
// handed out), and, only when the domain assigns a PCI device or draws from a pool, the config file.
// Fails with the one finding that makes the hook refuse: unreadable domain XML, a network definition
// or port that cannot be read, or an invalid config.
tl::expected<PrepareInput, Finding> read_prepare_input(std::string_view name, std::string_view xml,
                                                       NetworkSource& networks, const ConfigLocator& config_file);

}  // namespace vfiohooks
