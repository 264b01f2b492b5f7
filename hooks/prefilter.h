// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

namespace vfiohooks {

// Whether network `name` may be a hostdev pool (<forward mode='hostdev'>): the front asks libvirt's
// files (hooks/front_main.cc). `context` is the caller's.
using NetworkProbe = bool (*)(std::string_view name, void* context);

// The front's question before `prepare` starts the engine: may this domain XML assign a PCI device?
// false only when it certainly does not by the rules read_domain_xml and read_prepare_input apply:
// no start tag named hostdev (whatever its prefix) whose mode and type could read as subsystem and
// pci, none named interface whose type could read as hostdev, none named disk or backingStore whose
// type could read as nvme, and, when a start tag named interface has a type that could read as
// network, no start tag named source whose network attribute names a network `may_be_pool` cannot
// rule out (every one, when it is null). Byte-level, no parser and no allocation, so it costs a
// fraction of a process start. Anything it cannot judge is a yes: a document in another encoding (a
// NUL byte, no '<' first, an XML declaration other than version 1.0 in UTF-8 or ASCII), a character
// or entity reference in such a type, mode or network name, a start tag that does not lex the way a
// well-formed one does. Tags inside comments, CDATA and processing instructions count too.
bool may_assign_pci_device(std::string_view xml, NetworkProbe may_be_pool = nullptr, void* context = nullptr);

// The same question for a network definition (a status or config file, xml/network_source.h): false
// only when no start tag named forward has a mode that could read as hostdev, by the same rules.
bool network_may_be_hostdev_pool(std::string_view network_xml);

}  // namespace vfiohooks
