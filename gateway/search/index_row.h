#pragma once
// IndexRow: one search-index entry of one resource, as stored in the search_index table. The
// columns are shared by all parameter types (one table keeps query building uniform):
//
//   type       s1            s2        s3              s4            s5          n1     n2         i1    i2
//   string     normalised    exact
//   token      system|NULL   code      text(normalised) id-type sys  id-type code
//   date                                                                                    low ms high ms
//   number                                                                       value  value
//   quantity   system        code      unit            base dims     base code  value  base value
//   reference  target type   target id url             id system     id value
//   uri        value
//   composite  c1 system     c1 code   c2 system/norm  c2 code       c2 unit    c2 val c2 base   c2 lo c2 hi

#include <cstdint>
#include <optional>
#include <string>

namespace onedoor::search {

struct IndexRow {
  std::string param;
  std::optional<std::string> s1, s2, s3, s4, s5;
  std::optional<double> n1, n2;
  std::optional<std::int64_t> i1, i2;
};

}  // namespace onedoor::search
