// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "plugin/plan/domain_request.h"
#include "tests/unit/fake/fake_host.h"

// The scale benchmarks' machine: a workstation (tests/unit/fake/topologies.h: GPU and audio, a bridge group,
// NVMe holding / through LVM, a NIC with the default route, a small SR-IOV NIC, a lone NIC) plus
// `pfs` SR-IOV physical functions (ice, 8086:1592), each on a bus of its own below a root port, with
// 255 VFs enabled (iavf, 8086:1889, one netdev each; PCIe with FLR, as SR-IOV requires of VFs). A PF
// and its 255 VFs are 256 functions in 64
// IOMMU groups of four: the PF shares one with its first three VFs. 16 PFs make 4096 functions in
// 1024 groups; one PF makes 256.
namespace vfiohooks::bench {

inline constexpr unsigned kVfsPerPf = 255;

void build_sriov_host(testing::FakeHost& host, unsigned pfs);

// The address of VF `vf` (0-based) of PF `pf`.
std::string vf_address(unsigned pf, unsigned vf);

// A domain that takes `count` VFs of PF 0 as <interface type='hostdev'>, whole groups from VF 3 on.
DomainRequest domain_with_vfs(unsigned count);

// The same domain as libvirt's XML, grown to about `bytes` with what large domains carry: disks and
// another tool's <metadata> (thousands of elements), the VFs at the end of <devices>.
std::string domain_xml_with_vfs(unsigned count, std::size_t bytes);

// One host per size for a whole benchmark run (4096 functions take a while to lay out).
testing::FakeHost& shared_sriov_host(unsigned pfs);

// How many PCI functions `host` has.
std::size_t function_count(const testing::FakeHost& host);

}  // namespace vfiohooks::bench
