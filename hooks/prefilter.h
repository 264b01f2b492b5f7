// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

namespace vfiohooks {

// The front's question before `prepare` starts the engine: may this domain XML assign a PCI device?
// false only when it certainly does not by the rules read_domain_xml applies: no start tag named
// hostdev (whatever its prefix) whose mode and type could read as subsystem and pci, and no start tag
// named interface whose type could read as hostdev. Byte-level, no parser and no allocation, so it
// costs a fraction of a process start. Anything it cannot judge is a yes: a document in another
// encoding (a NUL byte, no '<' first, an XML declaration other than version 1.0 in UTF-8 or ASCII),
// a character or entity reference in such a type or mode, a start tag that does not lex the way a
// well-formed one does. Tags inside comments, CDATA and processing instructions count too.
bool may_assign_pci_device(std::string_view xml);

}  // namespace vfiohooks
