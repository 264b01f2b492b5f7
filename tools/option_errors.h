// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>

#include <boost/program_options/errors.hpp>

namespace vfiohooks::vfioctl {

// The one-line text of a Boost.Program_options error, built from the exception's fields with every
// option quoted through echoed(). Never Boost's what(): it substitutes placeholders into its
// message until none is left, and loops forever on an argument that holds one
// ("vfioctl --%canonical_option%"), as plugin/config/config_file.cc found for the config file.
std::string option_error_text(const boost::program_options::error& error);

}  // namespace vfiohooks::vfioctl
