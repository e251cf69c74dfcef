// Runs the examples in docs/*.md: `console` blocks (`$ onedoor ...` and the exact output expected,
// stdout then stderr) against the real binary, and `http` blocks (request, then `# expect STATUS`)
// against a real gateway, in order.
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

#include "support/http_client.h"
#include "support/test_support.h"

namespace {

struct Block {
  std::string lang;
  std::vector<std::string> lines;
  std::size_t line = 0;
};

std::vector<Block> blocks(const std::string& text) {
  std::vector<Block> out;
  std::istringstream in(text);
  std::string line;
  std::size_t n = 0;
  Block* cur = nullptr;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("```", 0) == 0) {
      if (cur == nullptr) {
        out.push_back({line.substr(3), {}, n});
        cur = &out.back();
      } else {
        cur = nullptr;
      }
      continue;
    }
    if (cur != nullptr) cur->lines.push_back(line);
  }
  return out;
}

std::vector<std::string> splitArgs(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : s) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (c == ' ' && !quoted) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push_back(cur);
  return out;
}

std::string runBinary(const std::vector<std::string>& args) {
  Poco::Pipe out, err;
  Poco::ProcessHandle ph = Poco::Process::launch(ONEDOOR_BINARY, args, ONEDOOR_SOURCE_DIR, nullptr, &out, &err);
  Poco::PipeInputStream os(out), es(err);
  std::string o, e;
  Poco::StreamCopier::copyToString(os, o);
  Poco::StreamCopier::copyToString(es, e);
  ph.wait();
  return o + e;
}

// A gateway set up like config/onedoor.sample.json (its partners' sectors and purposes, and the
// sample ICS policy) for the examples that say `# as <partner>`.
class SampleIcs {
 public:
  onedoor::testing::HttpClient as(const std::string& partner) {
    if (!gw_) {
      std::vector<onedoor::testing::TestPartner> partners = {
          {"gp-riverside", "gp", {"TREAT", "HOPERAT", "safeguarding"}, {"system/*.cruds"}, "Y12345", "", ""},
          {"acute-general", "acute", {"TREAT", "ETREAT", "HOPERAT"}, {"system/*.cruds"}, "RX1", "", ""},
          {"mh-spa", "mental-health", {"TREAT", "ETREAT", "safeguarding"}, {"system/*.cruds"}, "RX4", "", ""},
          {"crisis-team", "mental-health", {"TREAT", "ETREAT"}, {"system/*.rs"}, "RX4", "", ""},
          {"council-adults", "social-care", {"TREAT", "safeguarding"}, {"system/*.rs"}, "LA123", "", ""},
          {"vcfse-befriending", "vcfse", {"TREAT"},
           {"system/Patient.rs", "system/ServiceRequest.rs", "system/Task.cruds"}, "VCF01", "", ""},
          {"ics-auditor", "auditor", {"HOPERAT"}, {"system/AuditEvent.rs"}, "ICS01", "", ""},
          {"ops-team", "operator", {"TREAT"}, {"system/*.rs"}, "", "", ""}};
      gw_ = std::make_unique<onedoor::testing::TestGateway>(
          "", "", partners, nullptr, onedoor::testing::readFile(ONEDOOR_SOURCE_DIR "/config/policy.sample.json"));
    }
    auto& token = tokens_[partner];
    if (token.empty()) token = gw_->token(partner);
    return gw_->client(token);
  }

 private:
  std::unique_ptr<onedoor::testing::TestGateway> gw_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(documentation_examples_work) {
  // The ICS profiles are loaded, as in the sample configuration; writes are not validated, so
  // the API examples need not carry complete resources.
  onedoor::testing::TestGateway gw{"", R"("validation": {"profiles": [")" ONEDOOR_SOURCE_DIR R"(/fhir-profiles"]})"};
  onedoor::testing::HttpClient http(gw.port(), gw.token());
  SampleIcs ics;
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(ONEDOOR_SOURCE_DIR) / "docs")) {
    if (entry.path().extension() != ".md") continue;
    std::string file = entry.path().filename().string();
    for (const Block& b : blocks(onedoor::testing::readFile(entry.path()))) {
      std::string where = file + ":" + std::to_string(b.line);
      if (b.lang == "console") {
        for (std::size_t i = 0; i < b.lines.size(); ++i) {
          if (b.lines[i].rfind("$ onedoor ", 0) != 0) continue;
          std::string expected;
          std::size_t j = i + 1;
          for (; j < b.lines.size() && b.lines[j].rfind("$ ", 0) != 0; ++j) expected += b.lines[j] + "\n";
          std::string got = runBinary(splitArgs(b.lines[i].substr(10)));
          BOOST_CHECK_MESSAGE(got == expected, where + ": " + b.lines[i] + "\n got: " + got + "\nwant: " + expected);
          ++checked;
          i = j - 1;
        }
      } else if (b.lang == "http") {
        // "# as <partner>" first: sent by that sample partner to a gateway with the sample policy.
        std::string partner;
        std::size_t start = 0;
        if (b.lines.at(0).rfind("# as ", 0) == 0) {
          partner = b.lines[0].substr(5);
          start = 1;
        }
        std::istringstream first(b.lines.at(start));
        std::string method, path;
        first >> method >> path;
        std::vector<std::pair<std::string, std::string>> headers;
        std::size_t i = start + 1;
        for (; i < b.lines.size() && !b.lines[i].empty() && b.lines[i].rfind("# expect", 0) != 0; ++i) {
          auto colon = b.lines[i].find(':');
          headers.emplace_back(b.lines[i].substr(0, colon), b.lines[i].substr(colon + 2));
        }
        std::string body;
        int expect = 0;
        for (; i < b.lines.size(); ++i) {
          if (b.lines[i].rfind("# expect ", 0) == 0) {
            expect = std::stoi(b.lines[i].substr(9));
            continue;
          }
          if (!b.lines[i].empty() || !body.empty()) body += b.lines[i] + "\n";
        }
        auto r = partner.empty() ? http.request(method, path, body, headers)
                                 : ics.as(partner).request(method, path, body, headers);
        BOOST_CHECK_MESSAGE(r.status == expect, where + ": " + method + " " + path + " answered " +
                                                    std::to_string(r.status) + ": " + r.body.substr(0, 300));
        ++checked;
      }
    }
  }
  BOOST_TEST_MESSAGE("checked " << checked << " documentation examples");
  BOOST_CHECK_GE(checked, 15);
}
