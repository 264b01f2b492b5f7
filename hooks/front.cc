// SPDX-License-Identifier: LGPL-2.1-or-later
#include "hooks/front.h"

namespace vfiohooks {

FrontStep front_step(std::span<const std::string_view> args, bool is_root) {
  if (args.size() < 3) return FrontStep::usage_error;
  // qemu:///session runs the same hooks as an ordinary user, who can bind nothing.
  if (!is_root) return FrontStep::nothing_to_do;
  const std::string_view op = args[1];
  const std::string_view subop = args[2];
  if (op == "prepare" && subop == "begin") return FrontStep::prepare;
  if (op == "release" && subop == "end") return FrontStep::release;
  if (op == "reconnect" && subop == "begin") return FrontStep::reconnect;
  // Everything else, migrate and restore begin included: those filter the XML, and anything on
  // stdout would replace it. Print nothing.
  return FrontStep::nothing_to_do;
}

}  // namespace vfiohooks
