// SPDX-License-Identifier: LGPL-2.1-or-later
// What the hook pays on every lifecycle event of every domain: reading the domain XML.
#include <benchmark/benchmark.h>

#include <string>

#include "plugin/plan/planner.h"
#include "plugin/records/pci_address.h"
#include "tests/bench/sriov_host.h"
#include "xml/domain_reader.h"
#include "xml/prepare_input.h"

namespace {

// A virt-manager-style domain: disks, NICs, graphics, no PCI hostdev (the hook's fast path).
std::string typical_domain(bool with_hostdevs) {
  std::string xml = R"(<domain type='kvm'>
  <name>win11</name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>8388608</memory><vcpu placement='static'>8</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader></os>
  <features><acpi/><apic/><hyperv mode='custom'><relaxed state='on'/><vapic state='on'/></hyperv></features>
  <cpu mode='host-passthrough' check='none' migratable='on'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/win11.qcow2'/><target dev='sda' bus='sata'/></disk>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'><target chassis='1' port='0x10'/><address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0' multifunction='on'/></controller>
    <interface type='network'><mac address='52:54:00:12:34:56'/><source network='default'/><model type='e1000e'/></interface>
    <graphics type='spice' autoport='yes'><listen type='address'/></graphics>
    <video><model type='qxl' ram='65536' vram='65536' heads='1'/></video>
)";
  if (with_hostdevs) {
    xml += R"(    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source></hostdev>
)";
  }
  xml += "  </devices>\n</domain>\n";
  return xml;
}

void read_domain_without_hostdevs(benchmark::State& state) {
  const std::string xml = typical_domain(false);
  for (auto _ : state) benchmark::DoNotOptimize(vfiohooks::read_domain_xml(xml));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * xml.size()));
}
BENCHMARK(read_domain_without_hostdevs);

void read_domain_with_gpu_and_audio(benchmark::State& state) {
  const std::string xml = typical_domain(true);
  for (auto _ : state) benchmark::DoNotOptimize(vfiohooks::read_domain_xml(xml));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * xml.size()));
}
BENCHMARK(read_domain_with_gpu_and_audio);

void parse_pci_address(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(vfiohooks::parse_pci_address("0000:03:00.0"));
}
BENCHMARK(parse_pci_address);

// What the hook's engine does before it binds, for a 1 MiB domain XML (thousands of disks and
// metadata entries, 64 VFs) on the 4096-function SR-IOV host: read it, its policy, and plan.
void read_and_plan_1mib_domain(benchmark::State& state) {
  auto& host = vfiohooks::bench::shared_sriov_host(16);
  const std::string xml = vfiohooks::bench::domain_xml_with_vfs(64, std::size_t{1} << 20);
  vfiohooks::LibvirtNetworkFiles networks(host.paths());
  for (auto _ : state) {
    auto input = vfiohooks::read_prepare_input("sriov", xml, networks, [] { return std::nullopt; });
    if (!input) {
      state.SkipWithError(input.error().line().c_str());
      break;
    }
    auto plan = vfiohooks::make_plan(host.paths(), input->request, input->policy, {});
    if (plan.refused() || plan.to_bind.size() != 64) state.SkipWithError("the plan does not bind the 64 VFs");
    benchmark::DoNotOptimize(plan);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * xml.size()));
}
BENCHMARK(read_and_plan_1mib_domain)->Unit(benchmark::kMillisecond);

}  // namespace
