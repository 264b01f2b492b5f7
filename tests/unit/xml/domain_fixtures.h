// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <string_view>

namespace vfiohooks::testing {

// `ascii` in UTF-16LE with a byte order mark: what a byte scan for markup cannot read.
inline std::string utf16le(std::string_view ascii) {
  std::string out = "\xff\xfe";
  for (const char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

// A domain as virt-manager and libvirt write it: a GPU and its HDMI audio function, an SR-IOV VF
// as <interface type='hostdev'>, an unmanaged NIC, and hostdevs vfio-hooks must ignore (USB,
// mdev, SCSI, capabilities), plus our metadata next to libosinfo's.
inline constexpr std::string_view kVirtManagerDomain = R"(<domain type='kvm' id='3' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>win11</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://microsoft.com/win/11"/>
    </libosinfo:libosinfo>
    <vfio:hooks xmlns:vfio="urn:vfio-hooks:1" mode="bind" companions="refuse">
      <vfio:device address="0000:0b:00.0" vendor="0x10de" device="0x2484"/>
      <vfio:device address="0b:00.1" mode="validate"/>
    </vfio:hooks>
  </metadata>
  <memory unit='KiB'>16777216</memory>
  <currentMemory unit='KiB'>16777216</currentMemory>
  <vcpu placement='static'>8</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-8.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <hyperv mode='custom'>
      <relaxed state='on'/>
    </hyperv>
  </features>
  <cpu mode='host-passthrough' check='none' migratable='on'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/win11.qcow2'/>
      <target dev='sda' bus='sata'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <controller type='usb' index='0' model='qemu-xhci' ports='15'>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
    </controller>
    <interface type='network'>
      <mac address='52:54:00:f1:2a:9c'/>
      <source network='default'/>
      <model type='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <interface type='hostdev' managed='yes'>
      <mac address='52:54:00:6d:90:02'/>
      <source>
        <address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>
      </source>
      <vlan>
        <tag id='42'/>
      </vlan>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </interface>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio'/>
      <source>
        <address domain='0x0000' bus='0x0b' slot='0x00' function='0x0'/>
      </source>
      <rom bar='on'/>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0' multifunction='on'/>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio'/>
      <source>
        <address domain='0x0000' bus='0x0b' slot='0x00' function='0x1'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x1'/>
    </hostdev>
    <hostdev mode='subsystem' type='usb' managed='yes'>
      <source>
        <vendor id='0x046d'/>
        <product id='0xc52b'/>
      </source>
      <address type='usb' bus='0' port='4'/>
    </hostdev>
    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>
      <source>
        <address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/>
      </source>
    </hostdev>
    <hostdev mode='subsystem' type='scsi' managed='no'>
      <source>
        <adapter name='scsi_host0'/>
        <address bus='0' target='0' unit='0'/>
      </source>
    </hostdev>
    <hostdev mode='capabilities' type='storage'>
      <source>
        <block>/dev/sdf1</block>
      </source>
    </hostdev>
    <hostdev type='pci'>
      <source>
        <address domain='0x0000' bus='0x0c' slot='0x00' function='0x0'/>
      </source>
    </hostdev>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>
    </memballoon>
  </devices>
</domain>
)";

// A domain with one PCI hostdev whose source address attributes are `attributes`.
inline std::string domain_with_source_address(std::string_view attributes) {
  return "<domain type='kvm'>\n  <name>vm</name>\n  <devices>\n"
         "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address " +
         std::string(attributes) + "/>\n      </source>\n    </hostdev>\n  </devices>\n</domain>\n";
}

// A small domain with no PCI hostdev, `metadata` inside <metadata> and `devices` inside <devices>.
inline std::string small_domain(std::string_view devices, std::string_view metadata = "") {
  return "<domain type='kvm'>\n  <name>vm</name>\n  <uuid>0b3a6f4e-2f47-4f5c-9a55-0a0b0c0d0e0f</uuid>\n"
         "  <metadata>" + std::string(metadata) + "</metadata>\n  <devices>\n" + std::string(devices) +
         "  </devices>\n</domain>\n";
}

}  // namespace vfiohooks::testing
