// String functions (https://hl7.org/fhirpath/N1/#string-manipulation), plus 2.1's trim, split,
// join, encode/decode and escape/unescape. Positions and lengths count Unicode code points.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <regex>
#include <unordered_map>

#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {
namespace {

std::u32string toU32(const std::string& s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    char32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (int k = 1; k < len && i + static_cast<std::size_t>(k) < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    }
    out += cp;
    i += static_cast<std::size_t>(len);
  }
  return out;
}

std::string toUtf8(const std::u32string& s) {
  std::string out;
  for (char32_t cp : s) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

// The input as one String (nullopt for empty input); an error for non-string input.
core::Result<std::optional<std::string>> inputString(const CallExpr& call, const Collection& in) {
  GW_ASSIGN_OR_RETURN(auto v, singleInput(call, in));
  if (!v) return std::optional<std::string>();
  if (v->kind() != Value::Kind::kString) return evalError(call, call.name() + "() applies to strings");
  return std::optional<std::string>(v->asString());
}

// FHIRPath regexes are single-line: '.' also matches line breaks.
std::regex translateRegex(const std::string& pattern) {
  std::string p;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      p += c;
      p += pattern[++i];
      continue;
    }
    if (c == '[') in_class = true;
    if (c == ']') in_class = false;
    if (c == '.' && !in_class) {
      p += "[\\s\\S]";
      continue;
    }
    p += c;
  }
  return std::regex(p, std::regex::ECMAScript);
}

// Compiling a std::regex costs far more than matching a short string, and a map or search runs
// the same few patterns on every message: each thread keeps the ones it compiled (a bounded set,
// emptied when full). Throws std::regex_error as the constructor does.
const std::regex& compileRegex(const std::string& pattern) {
  thread_local std::unordered_map<std::string, std::regex> cache;
  if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  if (cache.size() >= 256) cache.clear();
  return cache.emplace(pattern, translateRegex(pattern)).first->second;
}

core::Result<Collection> fnIndexOf(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto sub, stringArg(ctx, call, 0, in));
  if (!s || !sub) return Collection{};
  auto pos = s->find(*sub);
  if (pos == std::string::npos) return one(Value::integer(-1));
  return one(Value::integer(static_cast<std::int64_t>(toU32(s->substr(0, pos)).size())));
}

core::Result<Collection> fnSubstring(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto start, integerArg(ctx, call, 0, in));
  if (!s || !start) return Collection{};
  std::u32string u = toU32(*s);
  if (*start < 0 || *start >= static_cast<std::int64_t>(u.size())) return Collection{};
  std::int64_t len = static_cast<std::int64_t>(u.size()) - *start;
  if (call.argCount() > 1) {
    GW_ASSIGN_OR_RETURN(auto l, integerArg(ctx, call, 1, in));
    if (!l) return Collection{};
    len = std::max<std::int64_t>(0, std::min(len, *l));
  }
  return one(Value::string(toUtf8(u.substr(static_cast<std::size_t>(*start), static_cast<std::size_t>(len)))));
}

template <int Kind>  // 0 startsWith, 1 endsWith, 2 contains
core::Result<Collection> fnAffix(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto a, stringArg(ctx, call, 0, in));
  if (!s || !a) return Collection{};
  bool r = Kind == 0   ? s->rfind(*a, 0) == 0
           : Kind == 1 ? s->size() >= a->size() && s->compare(s->size() - a->size(), a->size(), *a) == 0
                       : s->find(*a) != std::string::npos;
  return boolean(r);
}

template <bool Upper>
core::Result<Collection> fnCase(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  if (!s) return Collection{};
  std::string out = *s;
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80) c = static_cast<char>(Upper ? std::toupper(u) : std::tolower(u));
  }
  return one(Value::string(out));
}

core::Result<Collection> fnReplace(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto pattern, stringArg(ctx, call, 0, in));
  GW_ASSIGN_OR_RETURN(auto with, stringArg(ctx, call, 1, in));
  if (!s || !pattern || !with) return Collection{};
  std::string out;
  if (pattern->empty()) {
    // Every boundary between characters gets the substitution: 'abc' -> 'xaxbxcx'.
    std::u32string u = toU32(*s);
    out = *with;
    for (char32_t c : u) out += toUtf8(std::u32string(1, c)) + *with;
    return one(Value::string(out));
  }
  std::size_t pos = 0;
  while (true) {
    auto hit = s->find(*pattern, pos);
    if (hit == std::string::npos) break;
    out += s->substr(pos, hit - pos) + *with;
    pos = hit + pattern->size();
  }
  out += s->substr(pos);
  return one(Value::string(out));
}

template <bool Full>
core::Result<Collection> fnMatches(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto pattern, stringArg(ctx, call, 0, in));
  if (!s || !pattern) return Collection{};
  try {
    const std::regex& re = compileRegex(*pattern);
    return boolean(Full ? std::regex_match(*s, re) : std::regex_search(*s, re));
  } catch (const std::regex_error&) {
    return evalError(call, "invalid regular expression");
  }
}

core::Result<Collection> fnReplaceMatches(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto pattern, stringArg(ctx, call, 0, in));
  GW_ASSIGN_OR_RETURN(auto with, stringArg(ctx, call, 1, in));
  if (!s || !pattern || !with) return Collection{};
  if (pattern->empty()) return one(Value::string(*s));
  try {
    return one(Value::string(std::regex_replace(*s, compileRegex(*pattern), *with)));
  } catch (const std::regex_error&) {
    return evalError(call, "invalid regular expression");
  }
}

core::Result<Collection> fnLength(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  if (!s) return Collection{};
  return one(Value::integer(static_cast<std::int64_t>(toU32(*s).size())));
}

core::Result<Collection> fnToChars(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  if (!s) return Collection{};
  Collection out;
  for (char32_t c : toU32(*s)) out.push_back(Value::string(toUtf8(std::u32string(1, c))));
  return out;
}

core::Result<Collection> fnTrim(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  if (!s) return Collection{};
  auto b = s->find_first_not_of(" \t\r\n");
  auto e = s->find_last_not_of(" \t\r\n");
  return one(Value::string(b == std::string::npos ? std::string() : s->substr(b, e - b + 1)));
}

core::Result<Collection> fnSplit(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto sep, stringArg(ctx, call, 0, in));
  if (!s || !sep) return Collection{};
  Collection out;
  if (sep->empty()) {
    for (char32_t c : toU32(*s)) out.push_back(Value::string(toUtf8(std::u32string(1, c))));
    return out;
  }
  std::size_t pos = 0;
  while (true) {
    auto hit = s->find(*sep, pos);
    out.push_back(Value::string(s->substr(pos, hit == std::string::npos ? std::string::npos : hit - pos)));
    if (hit == std::string::npos) break;
    pos = hit + sep->size();
  }
  return out;
}

core::Result<Collection> fnJoin(Context& ctx, const Collection& in, const CallExpr& call) {
  std::string sep;
  if (call.argCount() > 0) {
    GW_ASSIGN_OR_RETURN(auto s, stringArg(ctx, call, 0, in));
    sep = s.value_or("");
  }
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto s = in[i].toDisplayString();
    if (!s) return evalError(call, "join() needs strings");
    out += (i ? sep : "") + *s;
  }
  return one(Value::string(out));
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const std::string& in, bool url) {
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size() + 2 && i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kB64[v & 63] : '=';
    i += 3;
  }
  if (url) std::replace(out.begin(), out.end(), '+', '-'), std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::optional<std::string> unbase64(std::string in, bool url) {
  if (url) std::replace(in.begin(), in.end(), '-', '+'), std::replace(in.begin(), in.end(), '_', '/');
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* p = std::strchr(kB64, c);
    if (p == nullptr || c == '\0') return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  return out;
}

core::Result<Collection> fnEncode(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto how, stringArg(ctx, call, 0, in));
  if (!s || !how) return Collection{};
  if (*how == "base64" || *how == "urlbase64") return one(Value::string(base64(*s, *how == "urlbase64")));
  if (*how == "hex") {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : *s) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    return one(Value::string(out));
  }
  return evalError(call, "encode() knows base64, urlbase64 and hex");
}

core::Result<Collection> fnDecode(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto how, stringArg(ctx, call, 0, in));
  if (!s || !how) return Collection{};
  if (*how == "base64" || *how == "urlbase64") {
    auto r = unbase64(*s, *how == "urlbase64");
    return r ? one(Value::string(*r)) : Collection{};
  }
  if (*how == "hex") {
    if (s->size() % 2 != 0) return Collection{};
    auto nibble = [](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      if (h >= 'A' && h <= 'F') return h - 'A' + 10;
      return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < s->size(); i += 2) {
      int hi = nibble((*s)[i]), lo = nibble((*s)[i + 1]);
      if (hi < 0 || lo < 0) return Collection{};  // not hex: found by fuzz_fhirpath
      out += static_cast<char>(hi * 16 + lo);
    }
    return one(Value::string(out));
  }
  return evalError(call, "decode() knows base64, urlbase64 and hex");
}

core::Result<Collection> fnEscape(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto how, stringArg(ctx, call, 0, in));
  if (!s || !how) return Collection{};
  std::string out;
  for (char c : *s) {
    if (*how == "html") {
      if (c == '&') out += "&amp;";
      else if (c == '<') out += "&lt;";
      else if (c == '>') out += "&gt;";
      else if (c == '"') out += "&quot;";
      else out += c;
    } else if (*how == "json") {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    } else {
      return evalError(call, "escape() knows html and json");
    }
  }
  return one(Value::string(out));
}

core::Result<Collection> fnUnescape(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto s, inputString(call, in));
  GW_ASSIGN_OR_RETURN(auto how, stringArg(ctx, call, 0, in));
  if (!s || !how) return Collection{};
  std::string out;
  if (*how == "html") {
    static const std::pair<const char*, char> kEntities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (std::size_t i = 0; i < s->size();) {
      bool hit = false;
      for (const auto& [e, c] : kEntities) {
        if (s->compare(i, std::strlen(e), e) == 0) {
          out += c;
          i += std::strlen(e);
          hit = true;
          break;
        }
      }
      if (!hit) out += (*s)[i++];
    }
  } else if (*how == "json") {
    for (std::size_t i = 0; i < s->size(); ++i) {
      if ((*s)[i] == '\\' && i + 1 < s->size()) ++i;
      out += (*s)[i];
    }
  } else {
    return evalError(call, "unescape() knows html and json");
  }
  return one(Value::string(out));
}

}  // namespace

std::vector<FunctionDef> stringFunctions() {
  return {
      {"indexOf", 1, 1, fnIndexOf},       {"substring", 1, 2, fnSubstring},
      {"startsWith", 1, 1, fnAffix<0>},   {"endsWith", 1, 1, fnAffix<1>},
      {"contains", 1, 1, fnAffix<2>},     {"upper", 0, 0, fnCase<true>},
      {"lower", 0, 0, fnCase<false>},     {"replace", 2, 2, fnReplace},
      {"matches", 1, 1, fnMatches<false>}, {"matchesFull", 1, 1, fnMatches<true>},
      {"replaceMatches", 2, 2, fnReplaceMatches}, {"length", 0, 0, fnLength},
      {"toChars", 0, 0, fnToChars},       {"trim", 0, 0, fnTrim},
      {"split", 1, 1, fnSplit},           {"join", 0, 1, fnJoin},
      {"encode", 1, 1, fnEncode},         {"decode", 1, 1, fnDecode},
      {"escape", 1, 1, fnEscape},         {"unescape", 1, 1, fnUnescape},
  };
}

}  // namespace onedoor::fhirpath
