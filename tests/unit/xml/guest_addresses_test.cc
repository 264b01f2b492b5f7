// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/guest_addresses.h"

#include <gtest/gtest.h>

namespace vfiohooks {
namespace {

TEST(GuestAddresses, ListsGuestSlotsAndSkipsHostSources) {
  const auto used = guest_pci_addresses(R"(<domain type='kvm'><name>vm</name><devices>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='usb' index='0'><address type="pci" domain="0x0000" bus="0x00" slot="0x1d" function="0x7"/></controller>
    <interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x02' slot='0x10' function='0x0'/></source>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/></interface>
    <hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source>
      <address type='pci' domain='0x0000' bus='0x00' slot='010' function='0x1'/></hostdev>
    <disk type='file' device='disk'><address type='drive' controller='0' bus='0' target='0' unit='0'/></disk>
  </devices></domain>)");
  ASSERT_TRUE(used) << used.error().message;
  ASSERT_EQ(used->size(), 3u);
  EXPECT_EQ((*used)[0].slot, 0x1d);
  EXPECT_EQ((*used)[0].function, 7);
  EXPECT_EQ((*used)[1].slot, 3);  // the VF's guest address, not its host source 02:10.0
  EXPECT_EQ((*used)[2].slot, 8);  // '010' is octal, as libvirt reads it
}

TEST(GuestAddresses, RefusesHostileXml) {
  const auto used = guest_pci_addresses("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>");
  ASSERT_FALSE(used);
  EXPECT_EQ(used.error().message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace vfiohooks
