#include "fhirpath/lexer.h"

#include <cctype>

namespace onedoor::fhirpath {
namespace {

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  core::Result<std::vector<Token>> run() {
    std::vector<Token> out;
    while (true) {
      GW_RETURN_IF_ERROR(skipSpace());
      Token t;
      t.line = line_;
      t.column = col_;
      if (pos_ >= s_.size()) {
        out.push_back(t);
        return out;
      }
      char c = s_[pos_];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        t.kind = Token::Kind::kIdentifier;
        while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
          t.text += take();
        }
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        t.kind = Token::Kind::kNumber;
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) t.text += take();
        if (pos_ + 1 < s_.size() && s_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
          t.text += take();
          while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) t.text += take();
        }
        if (pos_ < s_.size() && s_[pos_] == 'L' &&
            (pos_ + 1 >= s_.size() || !std::isalnum(static_cast<unsigned char>(s_[pos_ + 1])))) {
          t.text += take();  // 2.1 Long literal
        }
      } else if (c == '\'' || c == '`') {
        t.kind = c == '\'' ? Token::Kind::kString : Token::Kind::kDelimited;
        GW_ASSIGN_OR_RETURN(t.text, quoted(c));
      } else if (c == '@') {
        take();
        GW_RETURN_IF_ERROR(temporal(t));
      } else if (c == '$') {
        take();
        t.kind = Token::Kind::kDollar;
        while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
          t.text += take();
        }
      } else if (c == '%') {
        take();
        t.kind = Token::Kind::kPercent;
        if (pos_ < s_.size() && (s_[pos_] == '`' || s_[pos_] == '\'')) {
          GW_ASSIGN_OR_RETURN(t.text, quoted(s_[pos_]));
        } else {
          while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                      s_[pos_] == '_' || s_[pos_] == '-')) {
            t.text += take();
          }
        }
        if (t.text.empty()) return error("expected a variable name after %");
      } else {
        t.kind = Token::Kind::kSymbol;
        static constexpr std::string_view kTwo[] = {"<=", ">=", "!=", "!~"};
        bool two = false;
        for (auto op : kTwo) {
          if (s_.substr(pos_, 2) == op) {
            t.text = std::string(op);
            take();
            take();
            two = true;
          }
        }
        if (!two) {
          static constexpr std::string_view kOne = ".[](){},+-*/|&=~<>";
          if (kOne.find(c) == std::string_view::npos) {
            return error(std::string("unexpected character '") + c + "'");
          }
          t.text = std::string(1, take());
        }
      }
      out.push_back(std::move(t));
    }
  }

 private:
  char take() {
    char c = s_[pos_++];
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++col_;
    }
    return c;
  }

  core::Status error(const std::string& message) const {
    return core::invalid(std::to_string(line_) + ":" + std::to_string(col_) + ": " + message,
                         std::to_string(line_) + ":" + std::to_string(col_));
  }

  core::Status skipSpace() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        take();
      } else if (s_.substr(pos_, 2) == "//") {
        while (pos_ < s_.size() && s_[pos_] != '\n') take();
      } else if (s_.substr(pos_, 2) == "/*") {
        auto end = s_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return error("unterminated comment");
        while (pos_ < end + 2) take();
      } else {
        break;
      }
    }
    return core::Status::ok();
  }

  core::Result<std::string> quoted(char q) {
    take();
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) return error(q == '\'' ? "unterminated string" : "unterminated `identifier`");
      char c = take();
      if (c == q) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) return error("unterminated escape");
      char e = take();
      switch (e) {
        case '\'': case '"': case '`': case '\\': case '/': out += e; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return error("bad \\u escape");
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            char h = take();
            if (!std::isxdigit(static_cast<unsigned char>(h))) return error("bad \\u escape");
            cp = cp * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: return error(std::string("unknown escape \\") + e);
      }
    }
  }

  bool digitsAt(std::size_t n) const {
    if (pos_ + n > s_.size()) return false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s_[pos_ + i]))) return false;
    }
    return true;
  }
  void takeN(std::string& out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out += take();
  }

  // hh(:mm(:ss(.fff)?)?)?
  void clock(std::string& out) {
    if (!digitsAt(2)) return;
    takeN(out, 2);
    if (pos_ < s_.size() && s_[pos_] == ':' && (pos_ + 3 <= s_.size()) &&
        std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
      takeN(out, 3);
      if (pos_ < s_.size() && s_[pos_] == ':' && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
        takeN(out, 3);
        if (pos_ + 1 < s_.size() && s_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
          out += take();
          while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) out += take();
        }
      }
    }
  }

  core::Status temporal(Token& t) {
    if (pos_ < s_.size() && s_[pos_] == 'T') {
      take();
      t.kind = Token::Kind::kTime;
      clock(t.text);
      if (t.text.empty()) return error("malformed time literal");
      zone(t.text);
      return core::Status::ok();
    }
    t.kind = Token::Kind::kDateTime;
    if (!digitsAt(4)) return error("malformed date literal");
    takeN(t.text, 4);
    if (pos_ < s_.size() && s_[pos_] == '-' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
      takeN(t.text, 3);
      if (pos_ < s_.size() && s_[pos_] == '-' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
        takeN(t.text, 3);
      }
    }
    if (pos_ < s_.size() && s_[pos_] == 'T') {
      t.text += take();
      clock(t.text);
      zone(t.text);
    }
    return core::Status::ok();
  }

  void zone(std::string& out) {
    if (pos_ < s_.size() && s_[pos_] == 'Z') {
      out += take();
    } else if (pos_ + 5 < s_.size() + 0 && (s_[pos_] == '+' || s_[pos_] == '-') &&
               std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])) &&
               std::isdigit(static_cast<unsigned char>(s_[pos_ + 2])) && s_[pos_ + 3] == ':') {
      takeN(out, 6);
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t col_ = 1;
};

}  // namespace

core::Result<std::vector<Token>> tokenize(std::string_view text) { return Lexer(text).run(); }

}  // namespace onedoor::fhirpath
