# SPDX-License-Identifier: LGPL-2.1-or-later
# vfio_hooks_rpm_changelog(DEBIAN_CHANGELOG OUTPUT): writes the %changelog form rpm wants of a
# changelog in Debian's format, so the package history is written once (packaging/changelog.in).
#   vfio-hooks (0.1.0-1) unstable; urgency=medium       * Tue Dec 01 2026 NAME <MAIL> - 0.1.0-1
#     * Change, wrapped                            ->    - Change, wrapped
#       over lines.                                        over lines.
#    -- NAME <MAIL>  Tue, 01 Dec 2026 12:00:00 +0000
function(vfio_hooks_rpm_changelog debian_changelog output)
  file(READ ${debian_changelog} text)
  # Lines become list elements: hide the text's own semicolons from the list first.
  string(ASCII 31 semicolon)
  string(REPLACE ";" "${semicolon}" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(rpm_changelog "")
  set(version "")
  set(changes "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^[a-z0-9][a-z0-9.+-]* \\(([^)]+)\\) ")
      set(version ${CMAKE_MATCH_1})
    elseif(line MATCHES "^  \\* (.*)$")
      string(APPEND changes "- ${CMAKE_MATCH_1}\n")
    elseif(line MATCHES "^    (.*)$")
      string(APPEND changes "  ${CMAKE_MATCH_1}\n")
    elseif(line MATCHES "^ -- (.+)  ([A-Z][a-z][a-z]), ([0-9]+) ([A-Z][a-z][a-z]) ([0-9]+) ")
      set(signer ${CMAKE_MATCH_1})
      set(weekday ${CMAKE_MATCH_2})
      set(day ${CMAKE_MATCH_3})
      set(month ${CMAKE_MATCH_4})
      set(year ${CMAKE_MATCH_5})
      if(day MATCHES "^[0-9]$")
        set(day 0${day})
      endif()
      string(APPEND rpm_changelog "* ${weekday} ${month} ${day} ${year} ${signer} - ${version}\n${changes}\n")
      set(changes "")
    elseif(NOT line STREQUAL "")
      message(FATAL_ERROR "${debian_changelog}: not a line of a Debian changelog: '${line}'")
    endif()
  endforeach()
  string(REPLACE "${semicolon}" ";" rpm_changelog "${rpm_changelog}")
  string(STRIP "${rpm_changelog}" rpm_changelog)
  file(WRITE ${output} "${rpm_changelog}\n")
endfunction()
