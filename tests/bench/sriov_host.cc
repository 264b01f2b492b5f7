// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tests/bench/sriov_host.h"

#include <cstdio>
#include <map>
#include <memory>

#include "plugin/base/sysfs_reader.h"
#include "tests/unit/fake/topologies.h"
#include "tests/unit/test_support.h"

namespace vfiohooks::bench {

namespace {

constexpr unsigned kFirstBus = 0x40;
constexpr unsigned kFirstGroup = 100;  // above the workstation's
constexpr unsigned kGroupSize = 4;

std::string address(unsigned bus, unsigned devfn) {
  char text[32];
  std::snprintf(text, sizeof text, "0000:%02x:%02x.%x", bus & 0xff, (devfn >> 3) & 0x1f, devfn & 7);
  return text;
}

void workstation(testing::FakeHost& host) {
  using namespace testing::topology;
  gpu_with_audio(host);
  bridge_with_two_nics(host);
  nvme_with_root_fs(host);
  nic_with_default_route(host);
  sriov_nic(host);
  lone_nic(host);
}

}  // namespace

std::string vf_address(unsigned pf, unsigned vf) { return address(kFirstBus + pf, vf + 1); }

void build_sriov_host(testing::FakeHost& host, unsigned pfs) {
  workstation(host);
  host.add_driver({"ice", {"8086:1592"}, "ice"});
  host.add_driver({"iavf", {"8086:1889"}, "iavf"});
  for (unsigned pf = 0; pf < pfs; ++pf) {
    const unsigned bus = kFirstBus + pf;
    const unsigned first_group = kFirstGroup + 1 + pf * (1 + (kVfsPerPf + 1) / kGroupSize);
    const std::string port = address(0, 0x40 + pf);  // 00:08.0 to 00:09.7
    host.add_device({.address = port, .vendor = 0x8086, .device = 0x347a, .class_code = 0x060400,
                     .header_type = 1, .iommu_group = first_group - 1, .driver = "pcieport", .pcie = true});
    const std::string pf_address = address(bus, 0);
    host.add_device({.address = pf_address, .parent = port, .vendor = 0x8086, .device = 0x1592,
                     .class_code = 0x020000, .multifunction = true, .iommu_group = first_group, .driver = "ice",
                     .sriov_totalvfs = kVfsPerPf, .pcie = true, .flr = true});
    char name[32];
    std::snprintf(name, sizeof name, "enp%us0f0", bus);
    host.add_net(pf_address, name);
    for (unsigned vf = 0; vf < kVfsPerPf; ++vf) {
      const std::string vf_addr = vf_address(pf, vf);
      // The SR-IOV specification requires Function Level Reset of every VF.
      host.add_device({.address = vf_addr, .parent = port, .vendor = 0x8086, .device = 0x1889, .class_code = 0x020000,
                       .iommu_group = first_group + (vf + 1) / kGroupSize, .driver = "iavf", .pcie = true,
                       .flr = true});
      host.add_virtfn(pf_address, vf, vf_addr);
      std::snprintf(name, sizeof name, "enp%us0f0v%u", bus, vf);
      host.add_net(vf_addr, name);
    }
  }
}

DomainRequest domain_with_vfs(unsigned count) {
  std::vector<RequestedDevice> devices;
  for (unsigned vf = kGroupSize - 1; vf < kGroupSize - 1 + count; ++vf) {
    RequestedDevice device = testing::requested(vf_address(0, vf));
    device.kind = HostdevKind::interface;
    device.managed = true;
    devices.push_back(device);
  }
  return testing::domain_with("sriov", std::move(devices));
}

std::string domain_xml_with_vfs(unsigned count, std::size_t bytes) {
  std::string xml =
      "<domain type='kvm'>\n  <name>sriov</name>\n  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"
      "  <metadata>\n    <app:config xmlns:app='urn:example:orchestrator:1'>\n";
  char line[512];
  for (unsigned i = 0; xml.size() < bytes * 3 / 4; ++i) {
    std::snprintf(line, sizeof line,
                  "      <app:entry key='volume-%u' tier='gold' replicas='3' owner='team-%u'>"
                  "zone-%u/pool-%u/volume-%u</app:entry>\n",
                  i, i % 17, i % 5, i % 64, i);
    xml += line;
  }
  xml += "    </app:config>\n  </metadata>\n  <memory unit='GiB'>64</memory>\n  <vcpu>32</vcpu>\n"
         "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n  <devices>\n";
  for (unsigned i = 0; xml.size() < bytes - count * 200 - 64; ++i) {
    std::snprintf(line, sizeof line,
                  "    <disk type='block' device='lun'><driver name='qemu' type='raw' cache='none'/>"
                  "<source dev='/dev/disk/by-id/wwn-0x5000c500%08x'/><target dev='sd%c%c' bus='scsi'/></disk>\n",
                  i, 'a' + (i / 26) % 26, 'a' + i % 26);
    xml += line;
  }
  for (unsigned vf = kGroupSize - 1; vf < kGroupSize - 1 + count; ++vf) {
    const std::string address = vf_address(0, vf);
    std::snprintf(line, sizeof line,
                  "    <interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' "
                  "bus='0x%s' slot='0x%s' function='0x%s'/></source></interface>\n",
                  address.substr(5, 2).c_str(), address.substr(8, 2).c_str(), address.substr(11, 1).c_str());
    xml += line;
  }
  return xml + "  </devices>\n</domain>\n";
}

testing::FakeHost& shared_sriov_host(unsigned pfs) {
  static std::map<unsigned, std::unique_ptr<testing::FakeHost>> hosts;
  auto& host = hosts[pfs];
  if (!host) {
    host = std::make_unique<testing::FakeHost>();
    build_sriov_host(*host, pfs);
  }
  return *host;
}

std::size_t function_count(const testing::FakeHost& host) {
  return list_directory(host.paths().pci_devices()).size();
}

}  // namespace vfiohooks::bench
