// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace vfiohooks {

enum class Severity { error, warning };

// One thing the user must know, naming the device, what is wrong and what to do about it.
struct Finding {
  Finding() = default;
  Finding(Severity severity_, std::string subject_, std::string problem_, std::string fix_, std::string code_,
          std::string holder_ = "")
      : severity(severity_),
        subject(std::move(subject_)),
        problem(std::move(problem_)),
        fix(std::move(fix_)),
        code(std::move(code_)),
        holder(std::move(holder_)) {}

  Severity severity = Severity::error;
  std::string subject;  // "0000:03:00.0", or "host" for host-wide problems
  std::string problem;
  std::string fix;
  std::string code;    // stable machine name of the kind of finding ("group-not-viable"), for --json and tables
  std::string holder;  // who or what holds the device, in a few words for tables ("/", "Xorg (pid 1234)")

  // The one line virsh and virt-manager show: "vfio-hooks: SUBJECT: PROBLEM; fix: FIX".
  std::string line() const;
};

bool has_errors(const std::vector<Finding>& findings);
// `text` (a mount point, a path: anybody's choice, any length) cut in the middle to at most
// kLongestName characters ("/var/lib/po...tention-2026"), so that a finding with the longest
// process name and pid still fits virt-manager's dialog behind libvirt's prefix.
inline constexpr std::size_t kLongestName = 26;
std::string shortened(const std::string& text, std::size_t longest = kLongestName);
// Errors first, then warnings, each group in the order found.
std::vector<Finding> most_important_first(std::vector<Finding> findings);

}  // namespace vfiohooks
