// libFuzzer target: the CSV reader; rows it reads, written back, must read again the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = onedoor::formats::readCsvRows(text);
  if (!rows.isOk()) return 0;
  auto again = onedoor::formats::readCsvRows(onedoor::formats::writeCsv(*rows));
  if (!again.isOk() || *again != *rows) __builtin_trap();
  (void)onedoor::formats::readCsv(text);
  return 0;
}
