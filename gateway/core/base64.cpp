#include "core/base64.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>

#include <iterator>
#include <sstream>

namespace onedoor::core {
namespace {

int options(Base64 form) { return form == Base64::kUrlNoPadding ? Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING : 0; }

}  // namespace

std::string base64(std::string_view bytes, Base64 form) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out, options(form));
  enc.rdbuf()->setLineLength(0);
  enc.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  enc.close();
  return out.str();
}

std::optional<std::string> fromBase64(std::string_view text, Base64 form) {
  try {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder dec(in, options(form));
    return std::string(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace onedoor::core
