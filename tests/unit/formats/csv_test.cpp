// CSV (RFC 4180): quoting, embedded separators, quotes and line breaks, CRLF/LF, BOM, the element
// tree maps navigate, writing with quotes where needed, and errors with their line.
#include <boost/test/unit_test.hpp>

#include "support/test_support.h"
#include "formats/csv.h"

using namespace onedoor;

BOOST_AUTO_TEST_SUITE(Csv)

BOOST_AUTO_TEST_CASE(quoted_fields_hold_separators_quotes_and_line_breaks) {
  auto rows = formats::readCsvRows("a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\nthere\"\n\n2,,3");
  BOOST_REQUIRE(rows.isOk());
  BOOST_REQUIRE_EQUAL(rows->size(), 3u);  // the blank line is skipped
  BOOST_CHECK_EQUAL((*rows)[1][1], "x, y");
  BOOST_CHECK_EQUAL((*rows)[1][2], "say \"hi\"\nthere");
  BOOST_CHECK_EQUAL((*rows)[2][1], "");
  BOOST_CHECK_EQUAL(formats::writeCsv(*rows), "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\nthere\"\r\n2,,3\r\n");
  auto again = formats::readCsvRows(formats::writeCsv(*rows));
  BOOST_REQUIRE(again.isOk());
  BOOST_CHECK(*again == *rows);
}

// Found by fuzz_csv_reader: text starting with a second byte order mark must survive a round trip.
BOOST_AUTO_TEST_CASE(a_field_starting_with_a_byte_order_mark_is_kept) {
  auto rows = formats::readCsvRows("\xEF\xBB\xBF\xEF\xBB\xBFref\n1\n");
  BOOST_REQUIRE(rows.isOk());
  BOOST_CHECK_EQUAL((*rows)[0][0], "\xEF\xBB\xBFref");
  auto again = formats::readCsvRows(formats::writeCsv(*rows));
  BOOST_REQUIRE(again.isOk());
  BOOST_CHECK(*again == *rows);
}

BOOST_AUTO_TEST_CASE(the_tree_names_columns_by_the_header) {
  auto tree = formats::readCsv("\xEF\xBB\xBFreferral id,family-name,2nd\nCL-1,Khan,x\nCL-2,,y\n");
  BOOST_REQUIRE(tree.isOk());
  auto eval = [&](const std::string& expr) { return testing::evalJson(*tree, expr); };
  BOOST_CHECK_EQUAL(eval("record.count()"), "[2]");
  BOOST_CHECK_EQUAL(eval("record.referral_id"), R"(["CL-1","CL-2"])");
  BOOST_CHECK_EQUAL(eval("record[1].family_name.exists()"), "[false]");  // empty fields are left out
  BOOST_CHECK_EQUAL(eval("record[0]._2nd"), R"(["x"])");
}

BOOST_AUTO_TEST_CASE(malformed_csv_names_the_line) {
  auto unclosed = formats::readCsv("a,b\n1,\"open\n2,3\n");
  BOOST_REQUIRE(!unclosed.isOk());
  BOOST_CHECK(unclosed.status().message().find("line 2: a quoted field is not closed") != std::string::npos);
  auto stray = formats::readCsv("a,b\n1,x\"y\n");
  BOOST_REQUIRE(!stray.isOk());
  BOOST_CHECK(stray.status().message().find("line 2") != std::string::npos);
  auto wide = formats::readCsv("a,b\n1,2,3\n");
  BOOST_REQUIRE(!wide.isOk());
  BOOST_CHECK(wide.status().message().find("row 2 has 3 fields") != std::string::npos);
  BOOST_CHECK(!formats::readCsv("").isOk());
  formats::CsvOptions small;
  small.max_rows = 2;
  BOOST_CHECK(!formats::readCsv("a\n1\n2\n3\n", small).isOk());
}

BOOST_AUTO_TEST_SUITE_END()
