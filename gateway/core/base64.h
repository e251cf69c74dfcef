#pragma once
// Base64 (RFC 4648 section 4), and its URL-safe form without padding (section 5, as JWTs use it),
// by Poco's encoder and decoder: one place for what tokens, audit records and headers need.

#include <optional>
#include <string>
#include <string_view>

namespace onedoor::core {

enum class Base64 { kStandard, kUrlNoPadding };

std::string base64(std::string_view bytes, Base64 form = Base64::kStandard);
// The bytes `text` encodes; nullopt when it is not base64 of that form.
std::optional<std::string> fromBase64(std::string_view text, Base64 form = Base64::kStandard);

}  // namespace onedoor::core
