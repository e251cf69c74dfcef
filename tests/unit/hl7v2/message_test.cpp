// The HL7 v2 ER7 reader and writer: paths, escapes, odd encoding characters, line endings, errors
// with line and segment, acknowledgements, and every sample message of ../shared/conformance/hl7v2
// (read, checked against INDEX.tsv, written back byte for byte).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fhirpath/expression.h"
#include "hl7v2/message.h"
#include "support/test_support.h"

using namespace onedoor;
using hl7v2::Message;

namespace {

constexpr const char* kAdt =
    "MSH|^~\\&|PAS|RX1|ONEDOOR|ICS|20261123101500||ADT^A01^ADT_A01|MSG0001|P|2.4\r"
    "EVN|A01|20261123101500\r"
    "PID|1||RX1-123456^^^RX1^MR~9434765919^^^NHS^NH||Chalmers^Peter^James^^Mr||19740620|M|||"
    "1 Station Road^^Leeds^^LS1 1AA^GBR\r"
    "PV1|1|I|WARD1^BED2^^RX1\r"
    "ZPI|custom|value\r";

Message parsed(const std::string& text) {
  auto m = hl7v2::parse(text);
  BOOST_REQUIRE_MESSAGE(m.isOk(), (m.isOk() ? std::string() : m.status().message()));
  return std::move(m).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Hl7v2Reader)

BOOST_AUTO_TEST_CASE(paths_name_fields_repetitions_components_and_segments) {
  Message m = parsed(kAdt);
  BOOST_CHECK_EQUAL(m.type(), "ADT");
  BOOST_CHECK_EQUAL(m.event(), "A01");
  BOOST_CHECK_EQUAL(m.controlId(), "MSG0001");
  BOOST_CHECK_EQUAL(m.version(), "2.4");
  BOOST_CHECK_EQUAL(m.value("MSH-1"), "|");
  BOOST_CHECK_EQUAL(m.value("MSH-2"), "^~\\&");
  BOOST_CHECK_EQUAL(m.value("PID-5"), "Chalmers");
  BOOST_CHECK_EQUAL(m.value("PID-5.2"), "Peter");
  BOOST_CHECK_EQUAL(m.value("PID-3(2).1"), "9434765919");
  BOOST_CHECK_EQUAL(m.value("PID-3(2).4"), "NHS");
  BOOST_CHECK_EQUAL(m.encoded("PID-3"), "RX1-123456^^^RX1^MR~9434765919^^^NHS^NH");
  BOOST_CHECK_EQUAL(m.value("PID-11.5"), "LS1 1AA");
  BOOST_CHECK_EQUAL(m.value("PV1-3.1.1"), "WARD1");
  BOOST_CHECK_EQUAL(m.value("ZPI-2"), "value");  // Z-segments are kept
  BOOST_CHECK_EQUAL(m.value("PID-99"), "");
  BOOST_CHECK_EQUAL(m.value("OBX-1"), "");
  BOOST_CHECK_EQUAL(m.count("PID"), 1u);
  BOOST_CHECK_EQUAL(m.segment("PID")->line, 3u);
}

BOOST_AUTO_TEST_CASE(bad_paths_say_how_to_write_one) {
  for (const char* p : {"PID", "pid-5", "PID-0", "PID-5.", "PID[0]-1", "PID-5(x)", "PID-5.1.1.1"}) {
    auto r = hl7v2::parsePath(p);
    BOOST_CHECK_MESSAGE(!r.isOk(), p);
    if (!r.isOk()) BOOST_CHECK(r.status().message().find("PID-5.1") != std::string::npos);
  }
  auto ok = hl7v2::parsePath("OBX[2]-5(3).1.2");
  BOOST_REQUIRE(ok.isOk());
  BOOST_CHECK_EQUAL(ok->occurrence, 2u);
  BOOST_CHECK_EQUAL(ok->field, 5u);
  BOOST_CHECK_EQUAL(ok->repetition, 3u);
  BOOST_CHECK_EQUAL(ok->subcomponent, 2u);
}

BOOST_AUTO_TEST_CASE(escape_sequences_decode_and_encode) {
  hl7v2::Encoding e;
  BOOST_CHECK_EQUAL(hl7v2::unescape("A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F", e), "A|B^C&D~E\\F");
  BOOST_CHECK_EQUAL(hl7v2::unescape("line1\\.br\\line2", e), "line1\nline2");
  BOOST_CHECK_EQUAL(hl7v2::unescape("caf\\XC3A9\\", e), "caf\xC3\xA9");
  BOOST_CHECK_EQUAL(hl7v2::unescape("\\H\\bold\\N\\", e), "\\H\\bold\\N\\");  // formatting kept
  BOOST_CHECK_EQUAL(hl7v2::unescape("lone \\ escape", e), "lone \\ escape");
  BOOST_CHECK_EQUAL(hl7v2::escape("A|B^C&D~E\\F", e), "A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F");
  for (std::string s : {"O'Brien & Sons | Ltd", "x^y~z", "a\\b", "plain"}) {
    BOOST_CHECK_EQUAL(hl7v2::unescape(hl7v2::escape(s, e), e), s);
  }
  Message m = parsed("MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5\rNTE|1||Dose \\T\\ route\\F\\ see note\r");
  BOOST_CHECK_EQUAL(m.value("NTE-3"), "Dose & route| see note");
}

BOOST_AUTO_TEST_CASE(other_encoding_characters_are_honoured) {
  Message m = parsed("MSH#*!$@#APP#FAC###2026##ADT*A08#X1#P#2.3\nPID#1##ID1!ID2##Smith*Jo$Jr\n");
  BOOST_CHECK_EQUAL(m.encoding.field, '#');
  BOOST_CHECK_EQUAL(m.encoding.component, '*');
  BOOST_CHECK_EQUAL(m.encoding.repetition, '!');
  BOOST_CHECK_EQUAL(m.encoding.escape, '$');
  BOOST_CHECK_EQUAL(m.encoding.subcomponent, '@');
  BOOST_CHECK_EQUAL(m.type(), "ADT");
  BOOST_CHECK_EQUAL(m.value("PID-3(2)"), "ID2");
  BOOST_CHECK_EQUAL(m.value("PID-5.2"), "Jo$Jr");  // '$' alone is not an escape sequence
  BOOST_CHECK_EQUAL(hl7v2::write(m, "\n"), "MSH#*!$@#APP#FAC###2026##ADT*A08#X1#P#2.3\nPID#1##ID1!ID2##Smith*Jo$Jr\n");
}

BOOST_AUTO_TEST_CASE(line_endings_bom_and_blank_lines_are_tolerated) {
  std::string crlf = "\xEF\xBB\xBFMSH|^~\\&|A|B|C|D|1||ADT^A04|9|P|2.5\r\nPID|1||X\r\n\r\nPV1|1|O\n";
  Message m = parsed(crlf);
  BOOST_CHECK_EQUAL(m.segments.size(), 3u);
  BOOST_CHECK_EQUAL(m.value("PV1-2"), "O");
  BOOST_CHECK_EQUAL(hl7v2::write(m), "MSH|^~\\&|A|B|C|D|1||ADT^A04|9|P|2.5\rPID|1||X\rPV1|1|O\r");
}

BOOST_AUTO_TEST_CASE(malformed_messages_are_refused_with_line_and_segment) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "starts with an MSH"},
      {"PID|1||X\r", "starts with an MSH"},
      {"MSH|^~|A\r", "4 encoding characters"},
      {"MSH|^^\\&|A|B|C|D|1||ADT^A01|1|P|2.5\r", "distinct"},
      {"MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rpid|1\r", "line 2: 'pid' is not a segment name"},
      {"MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID1|1\r", "line 2: 'PID1' is not a segment name"},
      {"MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID|1\rMSH|^~\\&|A\r", "line 3 (MSH): a second MSH"},
      {"MSH|^~\\&|A|B|C|D|1|||1|P|2.5\r", "MSH-9 (message type) is empty"},
  };
  for (const auto& c : cases) {
    auto r = hl7v2::parse(c.text);
    BOOST_CHECK_MESSAGE(!r.isOk(), c.text);
    if (!r.isOk()) {
      BOOST_CHECK_MESSAGE(r.status().message().find(c.expected) != std::string::npos,
                          r.status().message() + " lacks " + c.expected);
    }
  }
  hl7v2::ParseOptions tight;
  tight.max_segments = 2;
  BOOST_CHECK(!hl7v2::parse(kAdt, tight).isOk());
}

BOOST_AUTO_TEST_CASE(values_can_be_set_and_are_escaped) {
  Message m = parsed(kAdt);
  BOOST_REQUIRE(m.set("PID-5.1", "O'Neil|Smith").isOk());
  BOOST_CHECK_EQUAL(m.encoded("PID-5"), "O'Neil\\F\\Smith^Peter^James^^Mr");
  BOOST_CHECK_EQUAL(m.value("PID-5.1"), "O'Neil|Smith");
  BOOST_REQUIRE(m.set("PID-13(2).4", "x@y").isOk());
  BOOST_CHECK_EQUAL(m.encoded("PID-13"), "~^^^x@y");
  BOOST_REQUIRE(m.set("OBX[2]-5", "v").isOk());  // missing segments are added
  BOOST_CHECK_EQUAL(m.count("OBX"), 2u);
  BOOST_CHECK(!m.set("MSH-2", "x").isOk());
  auto again = hl7v2::parse(hl7v2::write(m));
  BOOST_REQUIRE(again.isOk());
  BOOST_CHECK_EQUAL(again->value("PID-5.1"), "O'Neil|Smith");
}

BOOST_AUTO_TEST_CASE(acknowledgements_echo_the_control_id) {
  Message m = parsed(kAdt);
  Message ack = hl7v2::acknowledgement(m, "AE", "PID-3: no NHS number", "ACK0001", "20261123101501");
  std::string text = hl7v2::write(ack);
  BOOST_CHECK_EQUAL(text,
                    "MSH|^~\\&|ONEDOOR|ICS|PAS|RX1|20261123101501||ACK^A01^ACK|ACK0001|P|2.4\r"
                    "MSA|AE|MSG0001|PID-3: no NHS number\r");
  BOOST_CHECK(hl7v2::parse(text).isOk());
}

BOOST_AUTO_TEST_CASE(the_element_tree_names_fields_as_the_docs_say) {
  fhir::Node tree = hl7v2::toTree(parsed(kAdt));
  auto eval = [&](const std::string& expr) { return testing::evalJson(tree, expr); };
  BOOST_CHECK_EQUAL(eval("PID.F5.C1"), R"(["Chalmers"])");
  BOOST_CHECK_EQUAL(eval("PID.F8"), R"(["M"])");
  BOOST_CHECK_EQUAL(eval("PID.F3[1].C1"), R"(["9434765919"])");
  BOOST_CHECK_EQUAL(eval("PID.F3.where(C5 = 'NH').C1"), R"(["9434765919"])");
  BOOST_CHECK_EQUAL(eval("MSH.F9.C2"), R"(["A01"])");
  BOOST_CHECK_EQUAL(eval("MSH.F1"), R"(["|"])");
  BOOST_CHECK_EQUAL(eval("PV1.F3.C1"), R"(["WARD1"])");
  BOOST_CHECK_EQUAL(eval("PID.F4.exists()"), R"([false])");  // empty fields are left out
  BOOST_CHECK_EQUAL(eval("ZPI.F2"), R"(["value"])");
  Message sub = parsed("MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\rPID|1||X^^^A&1.2.3&ISO^MR\r");
  fhir::Node t = hl7v2::toTree(sub);
  auto e = fhirpath::Expression::compile("PID.F3.C4.S2");
  fhirpath::Environment env;
  BOOST_CHECK_EQUAL(fhirpath::toJson(*e->evaluate(t, env)), R"(["1.2.3"])");
}

BOOST_AUTO_TEST_CASE(a_tree_is_written_as_er7_with_escapes_repetitions_and_components) {
  fhir::Node tree("ADT_A05", nullptr, nullptr);
  auto leaf = [](fhir::Node& at, const std::string& name, const std::string& value) {
    fhir::Node& n = at.addUntyped(name);
    n.value = value;
    n.has_value = true;
    return &n;
  };
  fhir::Node& msh = tree.addUntyped("MSH");
  leaf(msh, "F3", "ONEDOOR");
  fhir::Node& type = msh.addUntyped("F9");
  leaf(type, "C1", "ADT");
  leaf(type, "C2", "A31");
  leaf(msh, "F12", "2.4");
  fhir::Node& pid = tree.addUntyped("PID");
  fhir::Node& nhs = pid.addUntyped("F3");
  leaf(nhs, "C1", "9434765919");
  leaf(nhs, "C5", "NH");
  fhir::Node& mrn = pid.addUntyped("F3");
  leaf(mrn, "C1", "M1");
  fhir::Node& auth = mrn.addUntyped("C4");
  leaf(auth, "S1", "RX1");
  leaf(auth, "S2", "1.2.3");
  leaf(pid, "F5", "O'Brien|Smith^Jr");  // separators in a value are escaped
  auto m = hl7v2::fromTree(tree);
  BOOST_REQUIRE_MESSAGE(m.isOk(), m.status().message());
  BOOST_CHECK_EQUAL(hl7v2::write(*m, "\n"),
                    "MSH|^~\\&|ONEDOOR||||||ADT^A31|||2.4\n"
                    "PID|||9434765919^^^^NH~M1^^^RX1&1.2.3||O'Brien\\F\\Smith\\S\\Jr\n");
  BOOST_CHECK_EQUAL(m->value("PID-5"), "O'Brien|Smith^Jr");
  BOOST_CHECK_EQUAL(m->value("PID-3(2).4.2"), "1.2.3");
  // What cannot be a message is named.
  fhir::Node no_msh("X", nullptr, nullptr);
  leaf(no_msh, "PID", "");
  BOOST_CHECK_EQUAL(hl7v2::fromTree(no_msh).status().message(), "HL7 v2: a message starts with an MSH segment");
  fhir::Node bad_field = tree;
  leaf(bad_field.children[1], "name", "x");
  BOOST_CHECK_EQUAL(hl7v2::fromTree(bad_field).status().message(), "HL7 v2: PID.name: a segment holds fields F1, F2 ...");
  fhir::Node bad_component = tree;
  leaf(bad_component.children[1].children[0], "X1", "x");
  BOOST_CHECK_EQUAL(hl7v2::fromTree(bad_component).status().message(), "PID.F3.X1: expected components C1, C2 ...");
}

BOOST_AUTO_TEST_CASE(every_shared_sample_message_reads_and_writes_back) {
  auto dir = testing::sharedDir("hl7v2/microsoft-fhir-converter");
  if (!dir) {
    BOOST_TEST_MESSAGE("skipped: ../shared/conformance/hl7v2 is absent");
    return;
  }
  std::ifstream index(*dir / "INDEX.tsv");
  std::string line;
  std::getline(index, line);  // header
  int n = 0;
  while (std::getline(index, line)) {
    std::istringstream cols(line);
    std::string file, msh9, version, separator, bom;
    std::getline(cols, file, '\t');
    std::getline(cols, msh9, '\t');
    std::getline(cols, version, '\t');
    std::getline(cols, separator, '\t');
    std::getline(cols, bom, '\t');
    std::string text = testing::readFile(*dir / "messages" / file);
    auto m = hl7v2::parse(text);
    BOOST_REQUIRE_MESSAGE(m.isOk(), (file + ": " + (m.isOk() ? std::string() : m.status().message())));
    BOOST_CHECK_MESSAGE(m->encoded("MSH-9") == msh9, file + ": MSH-9 " + m->encoded("MSH-9") + " != " + msh9);
    BOOST_CHECK_MESSAGE(m->version() == version, file + ": MSH-12");
    // Written back with the file's own segment ends, the bytes are the same (BOM and trailing
    // blank lines aside).
    std::string body = bom == "yes" ? text.substr(3) : text;
    std::string end = separator == "CRLF" ? "\r\n" : separator == "CR" ? "\r" : "\n";
    while (body.size() >= 2 * end.size() && body.substr(body.size() - 2 * end.size()) == end + end) {
      body.resize(body.size() - end.size());
    }
    if (body.size() < end.size() || body.substr(body.size() - end.size()) != end) body += end;
    BOOST_CHECK_MESSAGE(hl7v2::write(*m, end) == body, file + ": not written back as read");
    // Through the element tree a map builds and back: the same tree again.
    auto rebuilt = hl7v2::fromTree(hl7v2::toTree(*m));
    BOOST_REQUIRE_MESSAGE(rebuilt.isOk(), file + ": " + (rebuilt.isOk() ? std::string() : rebuilt.status().message()));
    BOOST_CHECK_MESSAGE(testing::evalJson(hl7v2::toTree(*rebuilt), "descendants()") ==
                            testing::evalJson(hl7v2::toTree(*m), "descendants()"),
                        file + ": the tree written as ER7 does not read back the same");
    ++n;
  }
  BOOST_TEST_MESSAGE("read and wrote back " << n << " sample messages");
  BOOST_CHECK_GE(n, 130);
}

BOOST_AUTO_TEST_SUITE_END()
