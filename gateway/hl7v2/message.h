#pragma once
// HL7 v2 messages in ER7 (the pipe-and-hat encoding): a reader, a writer and paths into them.
//
// A message is segments; a segment is fields; a field is repetitions; a repetition is
// components; a component is subcomponents. Reading finds segments and fields only (views into
// one copy of the text); repetitions, components and subcomponents are split when asked for.
// Values are kept exactly as they were encoded (escape sequences included), so that writing a
// message back gives the same bytes; value() decodes on the way out and set() encodes on the way
// in. MSH-1 is the field separator and MSH-2 the encoding characters, as the standard numbers them.
//
// Paths name a value the way HL7 people write them: `PID-5.1` (field 5, first repetition,
// component 1), `PID-3(2).1` (second repetition), `OBX[2]-5` (second OBX segment),
// `PID-5.1.1` (subcomponent). Numbers are 1-based; omitted parts mean 1.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/node.h"

namespace onedoor::hl7v2 {

struct Encoding {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  std::string characters() const;  // MSH-2: component, repetition, escape, subcomponent
};

using Component = std::vector<std::string>;  // subcomponents, as encoded
using Repetition = std::vector<Component>;
using Field = std::vector<Repetition>;

struct Segment {
  std::string name;                       // MSH, PID, ZPI ...
  std::vector<std::string_view> fields;   // fields[0] is <name>-1, as encoded (views into the message)
  std::size_t line = 0;                   // 1-based line in the parsed text
};

// Where a path points.
struct Path {
  std::string segment;
  std::size_t occurrence = 1;
  std::size_t field = 0;
  std::size_t repetition = 1;
  std::size_t component = 1;
  std::size_t subcomponent = 1;
  bool whole_field = true;  // no component given: PID-5
};
core::Result<Path> parsePath(std::string_view text);

class Message {
 public:
  Message();
  Encoding encoding;
  std::vector<Segment> segments;
  // Keeps `text` for as long as the message (and its copies) lives; returns a view of it.
  std::string_view keep(std::string text);

  // The n-th (1-based) segment named `name`, or null.
  const Segment* segment(std::string_view name, std::size_t occurrence = 1) const;
  std::size_t count(std::string_view name) const;
  // The decoded value at `path` ("" when absent). For a path without a component, the first
  // component's first subcomponent (PID-8 is "F", PID-5 is the family name).
  std::string value(std::string_view path) const;
  // The field at `path` as encoded, every repetition included (PID-3 is "123^^^MRN~9434765919^^^NHS").
  std::string encoded(std::string_view path) const;
  // Sets the value at `path`, encoding what must be escaped and adding what is missing.
  core::Status set(std::string_view path, std::string_view value);

  // MSH-9.1, MSH-9.2, MSH-10, MSH-12: message code, trigger event, control id, version.
  std::string type() const { return value("MSH-9.1"); }
  std::string event() const { return value("MSH-9.2"); }
  std::string controlId() const { return value("MSH-10"); }
  std::string version() const { return value("MSH-12"); }

 private:
  struct Storage;
  std::shared_ptr<Storage> storage_;  // the text the fields view; shared by copies, only grows
};

struct ParseOptions {
  std::size_t max_segments = 10000;
  std::size_t max_bytes = 16 * 1024 * 1024;
};

// Reads an ER7 message: segments end with CR, LF or CRLF; a UTF-8 byte order mark is skipped;
// the encoding characters come from MSH-1 and MSH-2; Z-segments are kept. Errors name the line
// and segment ("line 3 (PID): ...").
core::Result<Message> parse(std::string_view text, const ParseOptions& options = {});
// Writes it back, segments ended by `segment_end` (CR, as the standard has it).
std::string write(const Message& message, std::string_view segment_end = "\r");

// Escapes text for use as a value (\F\ \S\ \T\ \R\ \E\), and decodes a value: the escapes
// above, \Xhh..\ hexadecimal bytes; formatting escapes (\.br\, \H\, \N\ ...) are kept as they are.
std::string escape(std::string_view text, const Encoding& encoding);
std::string unescape(std::string_view text, const Encoding& encoding);

// The message as an element tree for FHIRPath and the mapping language. The root holds the
// segments by name (MSH, PID, ZPI ...); a segment holds its fields as F1, F2 ... (one node per
// repetition, so PID-3's repetitions are several F3); a field holds its components as C1, C2 ...
// and a component its subcomponents as S1, S2 ...; a part with one value only is a leaf with the
// decoded text. So PID-5.1 is PID.F5.C1, PID-8 is PID.F8, and PID-3(2).1 is PID.F3[1].C1. Empty
// parts are left out, and trailing empty components do not count (8088675301^^^ is a leaf, as
// 8088675301 is). MSH-1 and MSH-2 are leaves with the encoding characters.
fhir::Node toTree(const Message& message);
// The other way, for maps whose target is an HL7 v2 message: segments (MSH first) holding fields
// F1, F2 ... (a field repeated is several repetitions), components C1 ... and subcomponents S1 ...;
// values are escaped on the way. MSH.F1 and MSH.F2, when given, set the encoding characters.
// Errors name the element that does not fit ("PID.F5.X1: expected components C1, C2 ...").
core::Result<Message> fromTree(const fhir::Node& tree);

// An acknowledgement of `received`: MSH (sender and receiver swapped, MSH-9 ACK^<event>^ACK,
// MSH-10 `control_id`, MSH-7 `timestamp`, same processing id and version) and MSA (`code`: AA,
// AE or AR; MSA-2 the received message's control id; MSA-3 `text`).
Message acknowledgement(const Message& received, std::string_view code, std::string_view text,
                        std::string_view control_id, std::string_view timestamp);

}  // namespace onedoor::hl7v2
