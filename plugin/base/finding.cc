// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/base/finding.h"

#include <algorithm>

namespace vfiohooks {

std::string Finding::line() const {
  std::string text = "vfio-hooks: " + subject + ": ";
  if (severity == Severity::warning) text += "warning: ";
  text += problem;
  if (!fix.empty()) text += "; fix: " + fix;
  // One finding, one line, whatever the inputs held.
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

std::string shortened(const std::string& text, std::size_t longest) {
  if (text.size() <= longest) return text;
  const std::size_t head = (longest - 3) / 2, tail = longest - 3 - head;
  return text.substr(0, head) + "..." + text.substr(text.size() - tail);
}

bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
}

std::vector<Finding> most_important_first(std::vector<Finding> findings) {
  std::stable_partition(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
  return findings;
}

}  // namespace vfiohooks
