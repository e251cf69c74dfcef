// libFuzzer target: the HL7 v2 ER7 reader; whatever it accepts must write back and read again to
// the same message, and paths and acknowledgements must not fail on it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hl7v2/message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = onedoor::hl7v2::parse(text);
  if (!m.isOk()) return 0;
  std::string once = onedoor::hl7v2::write(*m);
  auto again = onedoor::hl7v2::parse(once);
  if (!again.isOk() || onedoor::hl7v2::write(*again) != once) __builtin_trap();
  (void)m->value("PID-5.1");
  (void)m->value("OBX[2]-5(2).1.1");
  (void)onedoor::hl7v2::write(onedoor::hl7v2::acknowledgement(*m, "AA", "", "1", "20260101"));
  return 0;
}
