// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

#include "plugin/base/error.h"
#include "plugin/plan/domain_request.h"

namespace vfiohooks {

// The namespace of vfio-hooks' element in a domain's <metadata>, and the prefix we write.
inline constexpr std::string_view kMetadataNamespace = "urn:vfio-hooks:1";
inline constexpr std::string_view kMetadataPrefix = "vfio";

// Reads what vfio-hooks needs from a libvirt domain XML (the hook's stdin, or GetXMLDesc): name,
// uuid (empty when absent), every PCI assignment in <devices> (<hostdev mode='subsystem'
// type='pci'>, <interface type='hostdev'> and the controllers of <disk type='nvme'>; other
// hostdevs are ignored) with its numbers read exactly as libvirt reads them, the networks of
// <interface type='network'> (hostdev pools are found by read_prepare_input, which reads the
// networks), and <metadata><vfio:hooks> merged into the devices it names.
// Fails with one line naming the domain and line: untrusted-input limits (size, <!DOCTYPE>),
// malformed XML, a root other than <domain>, no <name>, a PCI hostdev without a valid source
// address, an address assigned twice, or bad metadata. Metadata naming an address the domain does not
// assign is kept in `orphan_metadata` (the planner warns about it). Reentrant; prints nothing.
Expected<DomainRequest> read_domain_xml(std::string_view xml);

}  // namespace vfiohooks
