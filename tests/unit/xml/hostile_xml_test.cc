// SPDX-License-Identifier: LGPL-2.1-or-later
// Untrusted input: what a hostile or broken domain or node-device XML must not get through.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/xml/domain_fixtures.h"
#include "tests/unit/xml/error_matchers.h"
#include "xml/domain_reader.h"
#include "xml/node_device_reader.h"

namespace vfiohooks {
namespace {

using testing::FailsWith;
using testing::kVirtManagerDomain;
using testing::utf16le;  // the external entity in UTF-16LE: a byte scan for "<!DOCTYPE" cannot see it

constexpr const char* kBillionLaughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<domain><name>&lol9;</name></domain>
)";

constexpr const char* kExternalEntity = R"(<?xml version="1.0"?>
<!DOCTYPE domain [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<domain><name>&xxe;</name></domain>
)";

constexpr const char* kExternalDtd = R"(<?xml version="1.0"?>
<!DOCTYPE domain SYSTEM "http://attacker.example/domain.dtd">
<domain><name>vm</name></domain>
)";


TEST(HostileXml, EntityExpansionBombIsRefusedBeforeParsing) {
  EXPECT_THAT(read_domain_xml(kBillionLaughs), FailsWith("domain XML: <!DOCTYPE> is not allowed"));
  EXPECT_THAT(read_node_device_xml(kBillionLaughs), FailsWith("node device XML: <!DOCTYPE> is not allowed"));
}

TEST(HostileXml, ExternalEntitiesAndDtdsAreRefused) {
  EXPECT_THAT(read_domain_xml(kExternalEntity), FailsWith("<!DOCTYPE> is not allowed"));
  EXPECT_THAT(read_domain_xml(kExternalDtd), FailsWith("<!DOCTYPE> is not allowed"));
}

TEST(HostileXml, DoctypeHiddenByAnEncodingIsStillRefused) {
  EXPECT_THAT(read_domain_xml(utf16le(kExternalEntity)), FailsWith("<!DOCTYPE> is not allowed"));
  EXPECT_THAT(read_domain_xml(utf16le(kBillionLaughs)), FailsWith("<!DOCTYPE> is not allowed"));
  // Without one, UTF-16 is just another encoding.
  const auto plain = read_domain_xml(utf16le("<domain><name>vm</name></domain>"));
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->name, "vm");
}

TEST(HostileXml, UndeclaredEntitiesAreErrors) {
  EXPECT_THAT(read_domain_xml("<domain><name>&xxe;</name></domain>"),
              FailsWith("domain XML: line 1: Entity 'xxe' not defined"));
}

TEST(HostileXml, HugeDocumentsAreRefused) {
  std::string huge = "<domain><name>vm</name><description>";
  huge.append(4 * 1024 * 1024, 'a');
  huge += "</description></domain>";
  EXPECT_THAT(read_domain_xml(huge), FailsWith("more than the 4194304 allowed"));
  EXPECT_THAT(read_node_device_xml(huge), FailsWith("more than the 4194304 allowed"));
}

TEST(HostileXml, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "<domain><name>vm</name>";
  for (int i = 0; i < 5000; ++i) deep += "<a>";
  for (int i = 0; i < 5000; ++i) deep += "</a>";
  deep += "</domain>";
  EXPECT_THAT(read_domain_xml(deep), FailsWith("domain XML: line 1:"));
}

TEST(HostileXml, MalformedXmlGivesOneLineWithTheLine) {
  const std::string full(kVirtManagerDomain);
  EXPECT_THAT(read_domain_xml(full.substr(0, full.size() / 2)), FailsWith("domain XML: line "));
  EXPECT_THAT(read_domain_xml("<domain>\n  <name>vm</name>\n  <devices>\n</domain>\n"),
              FailsWith("domain XML: line 4: Opening and ending tag mismatch: devices line 3 and domain"));
  EXPECT_THAT(read_domain_xml(""), FailsWith("domain XML: "));
  EXPECT_THAT(read_domain_xml("not xml"), FailsWith("domain XML: line 1: "));
  EXPECT_THAT(read_domain_xml(std::string("<domain><name>a\0b</name></domain>", 33)), FailsWith("domain XML: "));
  EXPECT_THAT(read_domain_xml("<domain><name>vm</name></domain><domain/>"),
              FailsWith("Extra content at the end of the document"));
}

TEST(HostileXml, LibxmlPrintsNothing) {
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  (void)read_domain_xml("<domain>\n<name>vm</name\n");
  (void)read_domain_xml("<domain xmlns:a='x'><b:name/></domain>");
  (void)read_node_device_xml("<device><name>x</name><capability type='pci'><bogus");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(HostileXml, ControlCharactersInQuotedValuesDoNotBreakTheLine) {
  EXPECT_THAT(read_domain_xml("<domain><name>a&#10;b</name><devices><hostdev type='pci'><source>"
                              "<address bus='1&#10;2' slot='0' function='0'/></source></hostdev></devices></domain>"),
              FailsWith("domain 'a b': line 1: <hostdev type='pci'>: <address bus='1 2'> is not a number"));
}

}  // namespace
}  // namespace vfiohooks
