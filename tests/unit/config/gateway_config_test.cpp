#include <boost/test/unit_test.hpp>

#include "config/gateway_config.h"

using namespace onedoor::config;

BOOST_AUTO_TEST_SUITE(GatewayConfigTest)

BOOST_AUTO_TEST_CASE(defaults_apply_to_an_empty_object) {
  Diagnostics d;
  auto cfg = parseGatewayConfig("/etc/onedoor/x.json", "{}", d);
  BOOST_REQUIRE(cfg != nullptr);
  BOOST_CHECK_EQUAL(cfg->server.host, "127.0.0.1");
  BOOST_CHECK_EQUAL(cfg->storage.driver, "sqlite");
  BOOST_CHECK_EQUAL(cfg->resolvePath("data/x.db"), "/etc/onedoor/data/x.db");
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_with_file_line_and_column) {
  Diagnostics d;
  auto cfg = parseGatewayConfig("gw.json",
                                "{\n"
                                "  \"server\": {\"port\": \"8080\", \"hots\": \"x\"},\n"
                                "  \"storage\": {\"driver\": \"oracle\"}\n"
                                "}\n",
                                d);
  BOOST_CHECK(cfg == nullptr);
  BOOST_CHECK_EQUAL(d.toString(),
                    "gw.json:2:22: error: 'port': expected a non-negative integer (got a string 8080)\n"
                    "gw.json:2:30: error: unknown key 'hots'\n"
                    "gw.json:3:25: error: 'driver': must be one of sqlite, postgresql (got oracle)\n");
}

BOOST_AUTO_TEST_CASE(syntax_errors_name_the_position) {
  Diagnostics d;
  auto cfg = parseGatewayConfig("gw.json", "{\n  \"server\": {,}\n}", d);
  BOOST_CHECK(cfg == nullptr);
  BOOST_REQUIRE_EQUAL(d.all().size(), 1u);
  BOOST_CHECK_EQUAL(d.all()[0].line, 2u);
  BOOST_CHECK(d.all()[0].toString().rfind("gw.json:2:", 0) == 0);
}

BOOST_AUTO_TEST_CASE(plain_http_is_refused_off_loopback) {
  Diagnostics d;
  auto cfg = parseGatewayConfig("gw.json", R"({"server": {"host": "0.0.0.0", "allow_plain_http": true}})", d);
  BOOST_CHECK(cfg == nullptr);
  BOOST_CHECK(d.toString().find("loopback") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(security_can_be_turned_off_only_on_loopback_plain_http) {
  Diagnostics d;
  BOOST_CHECK(parseGatewayConfig("gw.json", R"({"auth": {"required": false}})", d) != nullptr);
  Diagnostics off_loopback;
  BOOST_CHECK(parseGatewayConfig("gw.json", R"({"server": {"host": "0.0.0.0", "tls": {"certificate": "c.pem",
    "private_key": "k.pem"}}, "auth": {"required": false}})", off_loopback) == nullptr);
  BOOST_CHECK(off_loopback.toString().find("only on a loopback plain-HTTP listener") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_errors) {
  Diagnostics d;
  auto cfg = parseGatewayConfig("gw.json", "{\"server\": {}, \"server\": {}}", d);
  BOOST_CHECK(cfg == nullptr);
  BOOST_CHECK_EQUAL(d.toString(), "gw.json:1:16: error: duplicate key 'server'\n");
}

BOOST_AUTO_TEST_CASE(ranges_are_checked) {
  Diagnostics d;
  auto cfg = parseGatewayConfig("gw.json", R"({"server": {"port": 70000}})", d);
  BOOST_CHECK(cfg == nullptr);
  BOOST_CHECK(d.toString().find("between 0 and 65535 (got 70000)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
