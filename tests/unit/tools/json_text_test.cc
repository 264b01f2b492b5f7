// SPDX-License-Identifier: LGPL-2.1-or-later
// append_json writes what dump(2) writes, byte for byte, nested or not.
#include "tools/json_text.h"

#include <gtest/gtest.h>

namespace vfiohooks::vfioctl {
namespace {

// dump(2) of `value` with every line after the first `indent` spaces further in.
std::string nested_dump(const Json& value, unsigned indent) {
  std::string out;
  for (const char c : value.dump(2)) {
    out += c;
    if (c == '\n') out.append(indent, ' ');
  }
  return out;
}

Json sample() {
  Json row;
  row["address"] = "0000:03:00.0";
  row["iommu_group"] = 12;
  row["negative"] = -3;
  row["large"] = 18446744073709551615ULL;
  row["ratio"] = 0.25;
  row["driver"] = nullptr;
  row["bridge"] = false;
  row["methods"] = Json::array({"flr", "bus"});
  row["findings"] = Json::array();
  row["nothing"] = Json::object();
  row["nested"]["held_by"]["domain"] = "win11";
  row["nested"]["list"] = Json::array({Json::object(), Json::array(), 1, Json::array({2})});
  // What dump() escapes: quotes, backslashes, control characters; UTF-8 as it is; DEL.
  row["escaped"] = "a \"quoted\" C:\\path\twith\ttabs\nand\x01 control \x7f";
  row["unicode"] = "Gr\u00e4fikkarte \u2014 GPU";
  row["key \"quoted\""] = "value";
  return row;
}

TEST(AppendJson, WritesWhatDumpWrites) {
  for (const Json& value : {sample(), Json(nullptr), Json("text"), Json(7), Json::array(), Json::object(),
                            Json::array({sample(), sample()})}) {
    for (const unsigned indent : {0u, 4u}) {
      std::string out = "prefix";
      append_json(out, value, indent);
      EXPECT_EQ(out, "prefix" + nested_dump(value, indent));
    }
  }
}

TEST(AppendJson, RefusesInvalidUtf8AsDumpDoes) {
  std::string out;
  EXPECT_THROW(append_json(out, Json{{"name", "\xff\xfe"}}), Json::type_error);
}

}  // namespace
}  // namespace vfiohooks::vfioctl
