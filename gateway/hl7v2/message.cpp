#include "hl7v2/message.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <deque>
#include <optional>

namespace onedoor::hl7v2 {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// The index-th (0-based) part of `s` split at `sep`; nullopt when there are fewer parts.
std::optional<std::string_view> nth(std::string_view s, char sep, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    std::size_t at = s.find(sep, start);
    if (at == std::string_view::npos) return std::nullopt;
    start = at + 1;
  }
  std::size_t end = s.find(sep, start);
  return s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

Field parseField(std::string_view text, const Encoding& e) {
  Field field;
  for (auto rep : split(text, e.repetition)) {
    Repetition r;
    for (auto comp : split(rep, e.component)) {
      Component c;
      for (auto sub : split(comp, e.subcomponent)) c.emplace_back(sub);
      r.push_back(std::move(c));
    }
    field.push_back(std::move(r));
  }
  return field;
}

std::string writeField(const Field& field, const Encoding& e) {
  std::string out;
  for (std::size_t r = 0; r < field.size(); ++r) {
    if (r) out += e.repetition;
    for (std::size_t c = 0; c < field[r].size(); ++c) {
      if (c) out += e.component;
      for (std::size_t s = 0; s < field[r][c].size(); ++s) {
        if (s) out += e.subcomponent;
        out += field[r][c][s];
      }
    }
  }
  return out;
}

bool segmentName(std::string_view s) {
  if (s.size() != 3) return false;
  if (!std::isupper(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s.substr(1)) {
    if (!std::isupper(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool readNumber(std::string_view& s, std::size_t& out) {
  std::size_t n = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0 || n > 6) return false;
  std::from_chars(s.data(), s.data() + n, out);
  s.remove_prefix(n);
  return out > 0;
}

core::Status lineError(std::size_t line, std::string_view segment, const std::string& what) {
  std::string where = "line " + std::to_string(line);
  if (!segment.empty()) where += " (" + std::string(segment) + ")";
  return core::invalid("HL7 v2: " + where + ": " + what);
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

struct Message::Storage {
  std::deque<std::string> texts;  // a deque: adding never moves what is already kept
};

Message::Message() : storage_(std::make_shared<Storage>()) {}

std::string_view Message::keep(std::string text) {
  storage_->texts.push_back(std::move(text));
  return storage_->texts.back();
}

std::string Encoding::characters() const { return std::string{component, repetition, escape, subcomponent}; }

core::Result<Path> parsePath(std::string_view text) {
  std::string_view s = text;
  Path p;
  auto bad = [&](const std::string& why) {
    return core::invalid("HL7 v2 path '" + std::string(text) + "': " + why +
                         " (write SEG-field[(repetition)].component.subcomponent, e.g. PID-5.1 or OBX[2]-5)");
  };
  if (s.size() < 3 || !segmentName(s.substr(0, 3))) return bad("no segment name");
  p.segment = std::string(s.substr(0, 3));
  s.remove_prefix(3);
  if (!s.empty() && s.front() == '[') {
    s.remove_prefix(1);
    if (!readNumber(s, p.occurrence) || s.empty() || s.front() != ']') return bad("bad segment occurrence");
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() != '-') return bad("no field number");
  s.remove_prefix(1);
  if (!readNumber(s, p.field)) return bad("bad field number");
  if (!s.empty() && s.front() == '(') {
    s.remove_prefix(1);
    if (!readNumber(s, p.repetition) || s.empty() || s.front() != ')') return bad("bad repetition");
    s.remove_prefix(1);
  }
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    if (!readNumber(s, p.component)) return bad("bad component");
    p.whole_field = false;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      if (!readNumber(s, p.subcomponent)) return bad("bad subcomponent");
    }
  }
  if (!s.empty()) return bad("unexpected '" + std::string(s) + "'");
  return p;
}

const Segment* Message::segment(std::string_view name, std::size_t occurrence) const {
  std::size_t seen = 0;
  for (const auto& s : segments) {
    if (s.name == name && ++seen == occurrence) return &s;
  }
  return nullptr;
}

std::size_t Message::count(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& s : segments) n += s.name == name;
  return n;
}

std::string Message::value(std::string_view path) const {
  auto p = parsePath(path);
  if (!p.isOk()) return {};
  const Segment* seg = segment(p->segment, p->occurrence);
  if (seg == nullptr || p->field > seg->fields.size()) return {};
  std::string_view f = seg->fields[p->field - 1];
  // MSH-1 and MSH-2 are the separators themselves, not encoded values.
  if (seg->name == "MSH" && p->field <= 2) return std::string(f);
  auto rep = nth(f, encoding.repetition, p->repetition - 1);
  auto comp = rep ? nth(*rep, encoding.component, p->component - 1) : std::nullopt;
  auto sub = comp ? nth(*comp, encoding.subcomponent, p->subcomponent - 1) : std::nullopt;
  return sub ? unescape(*sub, encoding) : std::string();
}

std::string Message::encoded(std::string_view path) const {
  auto p = parsePath(path);
  if (!p.isOk()) return {};
  const Segment* seg = segment(p->segment, p->occurrence);
  if (seg == nullptr || p->field > seg->fields.size()) return {};
  return std::string(seg->fields[p->field - 1]);
}

core::Status Message::set(std::string_view path, std::string_view value) {
  GW_ASSIGN_OR_RETURN(Path p, parsePath(path));
  if (p.segment == "MSH" && p.field <= 2) return core::invalid("MSH-1 and MSH-2 are the encoding characters");
  Segment* seg = nullptr;
  std::size_t seen = 0;
  for (auto& s : segments) {
    if (s.name == p.segment && ++seen == p.occurrence) {
      seg = &s;
      break;
    }
  }
  while (seg == nullptr) {
    segments.push_back({p.segment, {}, 0});
    if (++seen == p.occurrence) seg = &segments.back();
  }
  if (seg->fields.size() < p.field) seg->fields.resize(p.field, std::string_view());
  // The field is taken apart, changed and put back together.
  Field f = parseField(seg->fields[p.field - 1], encoding);
  if (f.size() < p.repetition) f.resize(p.repetition, Repetition{Component{""}});
  Repetition& r = f[p.repetition - 1];
  if (r.size() < p.component) r.resize(p.component, Component{""});
  Component& c = r[p.component - 1];
  if (c.size() < p.subcomponent) c.resize(p.subcomponent, "");
  c[p.subcomponent - 1] = escape(value, encoding);
  seg->fields[p.field - 1] = keep(writeField(f, encoding));
  return core::Status::ok();
}

core::Result<Message> parse(std::string_view text, const ParseOptions& options) {
  if (text.size() > options.max_bytes) {
    return core::invalid("HL7 v2: the message is larger than " + std::to_string(options.max_bytes) + " bytes");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (text.size() < 8 || text.substr(0, 3) != "MSH") {
    return core::invalid("HL7 v2: line 1: a message starts with an MSH segment");
  }
  Message m;
  text = m.keep(std::string(text));  // the fields below are views of this copy
  Encoding& e = m.encoding;
  e.field = text[3];
  std::string_view chars = text.substr(4);
  chars = chars.substr(0, chars.find(e.field));
  if (chars.size() < 4 || chars.size() > 5) {
    return lineError(1, "MSH", "MSH-2 must hold the 4 encoding characters (component, repetition, escape, "
                               "subcomponent), got '" + std::string(chars) + "'");
  }
  e.component = chars[0];
  e.repetition = chars[1];
  e.escape = chars[2];
  e.subcomponent = chars[3];
  std::string distinct{e.field, e.component, e.repetition, e.escape, e.subcomponent};
  for (std::size_t i = 0; i < distinct.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(distinct[i]);
    if (std::isalnum(c) || c == '\r' || c == '\n' || distinct.find(distinct[i], i + 1) != std::string::npos) {
      return lineError(1, "MSH", "the encoding characters must be distinct punctuation, got '" + distinct + "'");
    }
  }
  std::size_t line = 0, pos = 0;
  auto find = [](std::string_view t, char c, std::size_t from) {
    const void* at = std::memchr(t.data() + from, c, t.size() - from);
    return at == nullptr ? std::string_view::npos : static_cast<std::size_t>(static_cast<const char*>(at) - t.data());
  };
  std::size_t next_cr = find(text, '\r', 0), next_lf = find(text, '\n', 0);
  while (pos < text.size()) {
    // The segment's end: the next CR (as the standard has it) or LF, each found with memchr and
    // remembered until passed (find_first_of would search the two-character set once per
    // character of the message).
    if (next_cr != std::string_view::npos && next_cr < pos) next_cr = find(text, '\r', pos);
    if (next_lf != std::string_view::npos && next_lf < pos) next_lf = find(text, '\n', pos);
    std::size_t end = std::min(next_cr, next_lf);
    std::string_view seg = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    ++line;
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (end != std::string_view::npos && text[end] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
    // Blank lines and a trailing end of file are tolerated (file transfers add them).
    if (seg.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (m.segments.size() >= options.max_segments) {
      return lineError(line, "", "more than " + std::to_string(options.max_segments) + " segments");
    }
    std::string_view name = seg.substr(0, seg.find(e.field));
    if (!segmentName(name)) {
      return lineError(line, "", "'" + std::string(name.substr(0, 20)) +
                                     "' is not a segment name (three capital letters or digits)");
    }
    if (seg.size() > 3 && seg[3] != e.field) {
      return lineError(line, name, "the segment name must be followed by the field separator");
    }
    Segment s;
    s.fields.reserve(24);
    s.name = std::string(name);
    s.line = line;
    std::string_view rest = seg.size() > 4 ? seg.substr(4) : std::string_view();
    if (s.name == "MSH") {
      if (!m.segments.empty()) return lineError(line, name, "a second MSH: one message per parse");
      s.fields.push_back(seg.substr(3, 1));
      std::size_t after = rest.find(e.field);
      s.fields.push_back(rest.substr(0, after));
      rest = after == std::string_view::npos ? std::string_view() : rest.substr(after + 1);
      if (after == std::string_view::npos) {
        m.segments.push_back(std::move(s));
        continue;
      }
    } else if (m.segments.empty()) {
      return lineError(line, name, "the first segment must be MSH");
    }
    if (seg.size() > 3) {
      std::size_t start = 0;
      while (true) {
        std::size_t at = rest.find(e.field, start);
        s.fields.push_back(rest.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) break;
        start = at + 1;
      }
    }
    m.segments.push_back(std::move(s));
  }
  if (m.segments.empty()) return core::invalid("HL7 v2: no segments");
  if (m.value("MSH-9.1").empty()) return lineError(1, "MSH", "MSH-9 (message type) is empty");
  return m;
}

std::string write(const Message& message, std::string_view segment_end) {
  const Encoding& e = message.encoding;
  std::string out;
  for (const auto& s : message.segments) {
    out += s.name;
    std::size_t first = 0;
    if (s.name == "MSH") {
      // MSH-2 as received (it may carry a fifth, truncation, character).
      out += e.field;
      if (s.fields.size() > 1 && !s.fields[1].empty()) {
        out += s.fields[1];
      } else {
        out += e.characters();
      }
      first = 2;
    }
    for (std::size_t i = first; i < s.fields.size(); ++i) {
      out += e.field;
      out += s.fields[i];
    }
    out += segment_end;
  }
  return out;
}

std::string escape(std::string_view text, const Encoding& e) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    char code = c == e.field          ? 'F'
                : c == e.component    ? 'S'
                : c == e.subcomponent ? 'T'
                : c == e.repetition   ? 'R'
                : c == e.escape       ? 'E'
                                      : 0;
    if (code) {
      out += e.escape;
      out += code;
      out += e.escape;
    } else if (c == '\r' || c == '\n') {
      out += e.escape;
      out += ".br";
      out += e.escape;
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape(std::string_view text, const Encoding& e) {
  if (text.find(e.escape) == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != e.escape) {
      out += text[i++];
      continue;
    }
    std::size_t close = text.find(e.escape, i + 1);
    if (close == std::string_view::npos) {  // a lone escape character: kept
      out += text.substr(i);
      break;
    }
    std::string_view seq = text.substr(i + 1, close - i - 1);
    if (seq == "F") {
      out += e.field;
    } else if (seq == "S") {
      out += e.component;
    } else if (seq == "T") {
      out += e.subcomponent;
    } else if (seq == "R") {
      out += e.repetition;
    } else if (seq == "E") {
      out += e.escape;
    } else if (seq == ".br") {
      out += '\n';
    } else if (seq.size() >= 3 && seq[0] == 'X' && seq.size() % 2 == 1 &&
               std::all_of(seq.begin() + 1, seq.end(), [](char c) { return hexDigit(c) >= 0; })) {
      for (std::size_t k = 1; k + 1 < seq.size(); k += 2) {
        out += static_cast<char>(hexDigit(seq[k]) * 16 + hexDigit(seq[k + 1]));
      }
    } else {
      out += text.substr(i, close - i + 1);  // formatting (\H\, \N\, \.sp\ ...) and others: kept
    }
    i = close + 1;
  }
  return out;
}

namespace {

// A leaf when there is one value only; else the numbered parts.
void addPart(fhir::Node& parent, const std::string& name, Component subs, const Encoding& e) {
  // Trailing empty subcomponents say nothing (X&& is X): they do not make a part a structure.
  while (!subs.empty() && subs.back().empty()) subs.pop_back();
  if (subs.empty()) return;
  fhir::Node& n = parent.addUntyped(name);
  if (subs.size() == 1) {
    n.value = unescape(subs.front(), e);
    n.has_value = true;
    return;
  }
  for (std::size_t i = 0; i < subs.size(); ++i) {
    if (subs[i].empty()) continue;
    fhir::Node& s = n.addUntyped("S" + std::to_string(i + 1));
    s.value = unescape(subs[i], e);
    s.has_value = true;
  }
}

}  // namespace

fhir::Node toTree(const Message& m) {
  const Encoding& e = m.encoding;
  fhir::Node root("Message", nullptr, nullptr);
  for (const auto& seg : m.segments) {
    fhir::Node& s = root.addUntyped(seg.name);
    for (std::size_t f = 0; f < seg.fields.size(); ++f) {
      std::string fname = "F" + std::to_string(f + 1);
      if (seg.name == "MSH" && f < 2) {
        fhir::Node& leaf = s.addUntyped(fname);
        leaf.value = std::string(seg.fields[f]);
        leaf.has_value = true;
        continue;
      }
      if (seg.fields[f].empty()) continue;
      for (Repetition rep : parseField(seg.fields[f], e)) {
        // Trailing empty components say nothing either (8088675301^^^ is 8088675301).
        auto blank = [](const Component& c) {
          return std::all_of(c.begin(), c.end(), [](const std::string& x) { return x.empty(); });
        };
        while (rep.size() > 1 && blank(rep.back())) rep.pop_back();
        if (rep.size() == 1) {
          addPart(s, fname, rep.front(), e);
          continue;
        }
        bool any = std::any_of(rep.begin(), rep.end(), [](const Component& c) {
          return std::any_of(c.begin(), c.end(), [](const std::string& x) { return !x.empty(); });
        });
        if (!any) continue;
        fhir::Node& field = s.addUntyped(fname);
        for (std::size_t c = 0; c < rep.size(); ++c) addPart(field, "C" + std::to_string(c + 1), rep[c], e);
      }
    }
  }
  return root;
}

namespace {

// A field repetition (level 0: components C1, C2 ...) or a component (level 1: subcomponents S1,
// S2 ...) of an element tree, encoded.
core::Result<std::string> encodePart(const fhir::Node& n, int level, const Encoding& e, const std::string& where) {
  if (n.children.empty()) return escape(n.value, e);
  // A field of one component with subcomponents holds them directly (toTree leaves C1 out).
  if (level == 0 && n.children.front().name.rfind('S', 0) == 0) level = 1;
  const char prefix = level == 0 ? 'C' : 'S';
  const char separator = level == 0 ? e.component : e.subcomponent;
  std::vector<std::string> parts;
  for (const auto& c : n.children) {
    std::size_t k = 0;
    if (level > 1 || c.name.size() < 2 || c.name[0] != prefix ||
        c.name.find_first_not_of("0123456789", 1) != std::string::npos || (k = std::stoul(c.name.substr(1))) == 0 || k > 999) {
      return core::invalid(where + "." + c.name + ": expected " + (level == 0 ? "components C1, C2 ..." : "subcomponents S1, S2 ...") +
                           (level > 1 ? " (subcomponents hold values only)" : ""));
    }
    if (parts.size() < k) parts.resize(k);
    GW_ASSIGN_OR_RETURN(parts[k - 1], encodePart(c, level + 1, e, where + "." + c.name));
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(1, separator) : "") + parts[i];
  return out;
}

}  // namespace

core::Result<Message> fromTree(const fhir::Node& root) {
  if (root.children.empty() || root.children.front().name != "MSH") {
    return core::invalid("HL7 v2: a message starts with an MSH segment");
  }
  Encoding e;
  const fhir::Node& msh = root.children.front();
  if (const fhir::Node* f1 = msh.child("F1"); f1 != nullptr && f1->value.size() == 1) e.field = f1->value[0];
  if (const fhir::Node* f2 = msh.child("F2"); f2 != nullptr && f2->value.size() >= 4) {
    e.component = f2->value[0];
    e.repetition = f2->value[1];
    e.escape = f2->value[2];
    e.subcomponent = f2->value[3];
  }
  std::string text;
  for (const auto& seg : root.children) {
    if (seg.name.size() != 3 || !std::all_of(seg.name.begin(), seg.name.end(), [](char c) {
          return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
        })) {
      return core::invalid("HL7 v2: '" + seg.name + "' is not a segment name (three capital letters or digits)");
    }
    std::vector<std::vector<std::string>> fields;  // field number - 1 -> repetitions
    for (const auto& f : seg.children) {
      std::size_t k = 0;
      if (f.name.size() < 2 || f.name[0] != 'F' || f.name.find_first_not_of("0123456789", 1) != std::string::npos ||
          (k = std::stoul(f.name.substr(1))) == 0 || k > 999) {
        return core::invalid("HL7 v2: " + seg.name + "." + f.name + ": a segment holds fields F1, F2 ...");
      }
      if (seg.name == "MSH" && k <= 2) continue;  // the encoding characters, written below
      if (fields.size() < k) fields.resize(k);
      GW_ASSIGN_OR_RETURN(auto part, encodePart(f, 0, e, seg.name + "." + f.name));
      fields[k - 1].push_back(std::move(part));
    }
    text += seg.name;
    std::size_t first = 0;
    if (seg.name == "MSH") {
      text += e.field;
      text += e.characters();
      first = 2;
    }
    for (std::size_t i = first; i < fields.size(); ++i) {
      text += e.field;
      for (std::size_t r = 0; r < fields[i].size(); ++r) text += (r ? std::string(1, e.repetition) : "") + fields[i][r];
    }
    text += '\r';
  }
  return parse(text);
}

Message acknowledgement(const Message& received, std::string_view code, std::string_view text,
                        std::string_view control_id, std::string_view timestamp) {
  Message ack;
  ack.encoding = received.encoding;
  const Encoding& e = ack.encoding;
  Segment msh;
  msh.name = "MSH";
  msh.fields.push_back(ack.keep(std::string(1, e.field)));
  msh.fields.push_back(ack.keep(e.characters()));
  ack.segments.push_back(std::move(msh));
  const Segment* in = received.segment("MSH");
  auto copy = [&](std::size_t to, std::size_t from) {
    if (in == nullptr || from > in->fields.size()) return;
    Segment& out = ack.segments.front();
    if (out.fields.size() < to) out.fields.resize(to, std::string_view());
    out.fields[to - 1] = ack.keep(std::string(in->fields[from - 1]));
  };
  copy(3, 5);
  copy(4, 6);
  copy(5, 3);
  copy(6, 4);
  (void)ack.set("MSH-7", timestamp);
  (void)ack.set("MSH-9.1", "ACK");
  if (!received.event().empty()) (void)ack.set("MSH-9.2", received.event());
  (void)ack.set("MSH-9.3", "ACK");
  (void)ack.set("MSH-10", control_id);
  copy(11, 11);
  copy(12, 12);
  (void)ack.set("MSA-1", code);
  (void)ack.set("MSA-2", received.controlId());
  if (!text.empty()) (void)ack.set("MSA-3", text);
  return ack;
}

}  // namespace onedoor::hl7v2
