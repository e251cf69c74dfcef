// The FHIR validator test cases (../shared/conformance/validator, R4 subset): each case's file is
// validated against the base definitions (and, where the case names one, its profile) with the
// case's supporting definitions loaded; the case passes when OneDoor agrees with the reference
// validator on whether the resource is valid. Exact error counts are reported alongside.
#include <rapidjson/document.h>

#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "app/gateway.h"
#include "conformance/harness.h"
#include "fhir/codec.h"
#include "fhir/package_cache.h"
#include "stages/validate/validator.h"
#include "support/test_support.h"

using namespace onedoor;

namespace {

struct Expected {
  int base_errors = 0;
  int profile_errors = -1;  // -1: no profile run
};

std::map<std::string, Expected> readIndex(const std::filesystem::path& dir) {
  std::map<std::string, Expected> out;
  std::ifstream in(dir / "index-r4-subset.tsv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    if (f.size() < 7) continue;
    Expected e;
    e.base_errors = std::atoi(f[4].c_str());
    e.profile_errors = f[6].empty() ? -1 : std::atoi(f[6].c_str());
    out[f[0]] = e;
  }
  return out;
}

std::vector<std::string> strings(const rapidjson::Value& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString());
  }
  return out;
}

int errors(const core::Issues& issues) {
  int n = 0;
  for (const auto& i : issues) n += i.severity == core::Severity::kError || i.severity == core::Severity::kFatal;
  return n;
}

std::string firstError(const core::Issues& issues) {
  for (const auto& i : issues) {
    if (i.severity == core::Severity::kError || i.severity == core::Severity::kFatal) {
      return i.message + (i.expression.empty() ? "" : " @ " + i.expression);
    }
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(fhir_validator_test_cases_r4) {
  auto dir = testing::sharedDir("validator");
  if (!dir) {
    BOOST_TEST_MESSAGE("skipped: ../shared/conformance/validator is absent");
    return;
  }
  auto expected = readIndex(*dir);
  rapidjson::Document manifest;
  std::string text = testing::readFile(*dir / "manifest-r4-subset.json");
  manifest.Parse(text.c_str(), text.size());
  BOOST_REQUIRE(manifest.IsObject() && manifest.HasMember("test-cases"));

  config::GatewayConfig cfg;
  auto dirs = app::packageDirs(cfg);
  BOOST_REQUIRE(dirs.isOk());
  auto base = fhir::DefinitionIndex::load(testing::modelPtr(), *dirs, fhir::defaultCacheDir());
  BOOST_REQUIRE(base.isOk());

  testing::Harness harness("validator");
  int exact = 0, runs = 0;
  for (const auto& tc : manifest["test-cases"].GetArray()) {
    std::string name = tc["name"].GetString();
    std::string file = tc["file"].GetString();
    // The case's own definitions, the profile and its supporting files all load for both runs
    // (as the reference validator loads them); only the profile run asks for the profile.
    auto layer = fhir::DefinitionIndex::layer(*base);
    std::vector<std::string> load = strings(tc, "supporting");
    for (const auto& p : strings(tc, "profiles")) load.push_back(p);
    std::string profile_source;
    std::vector<std::string> profile_load;
    if (tc.HasMember("profile") && tc["profile"].IsObject()) {
      const auto& p = tc["profile"];
      if (p.HasMember("source")) profile_source = p["source"].GetString();
      profile_load = strings(p, "supporting");
      if (!profile_source.empty()) profile_load.push_back(profile_source);
    }
    std::string setup_problem;
    auto addAll = [&](fhir::DefinitionIndex& index, const std::vector<std::string>& files) {
      for (const auto& f : files) {
        auto st = index.addFile(*dir / f);
        if (!st.isOk() && setup_problem.empty()) setup_problem = f + ": " + st.message();
      }
    };
    addAll(*layer, load);
    addAll(*layer, profile_load);
    auto validatorOver = [](fhir::DefinitionIndexPtr defs) {
      auto tx = std::make_shared<const fhir::Terminology>(defs);
      return stages::validate::Validator(std::make_shared<const stages::validate::ProfileSet>(defs, tx));
    };
    stages::validate::Validator validator = validatorOver(layer);

    // As the reference validator does: an extension without a definition and a wrong display
    // are errors, except for extensions in the domains the case allows.
    stages::validate::ValidationOptions options;
    options.unknown_extension_is_error = true;
    options.display_mismatch_is_error = true;
    options.allowed_extension_domains = strings(tc, "allowed-extension-domains");
    if (tc.HasMember("allowed-extension-domain") && tc["allowed-extension-domain"].IsString()) {
      options.allowed_extension_domains.emplace_back(tc["allowed-extension-domain"].GetString());
    }

    std::string body = testing::readFile(*dir / file);
    auto parsed = fhir::read(testing::model(), fhir::sniffFormat(body), body);
    auto run = [&](const stages::validate::Validator& v, const std::vector<std::string>& extra) {
      if (!parsed.ok()) return parsed.issues;
      stages::validate::ValidationOptions o = options;
      o.profiles = extra;
      return v.validate(parsed.resource, o);
    };
    const Expected& want = expected[name];
    core::Issues got = run(validator, {});
    ++runs;
    exact += errors(got) == want.base_errors;
    bool ok = (errors(got) > 0) == (want.base_errors > 0);
    std::string detail = "base: expected " + std::to_string(want.base_errors) + " errors, got " +
                         std::to_string(errors(got)) + (errors(got) ? " (first: " + firstError(got) + ")" : "");
    if (ok && want.profile_errors >= 0 && !profile_source.empty()) {
      std::string url;
      auto sd = fhir::read(testing::model(), fhir::sniffFormat(testing::readFile(*dir / profile_source)),
                           testing::readFile(*dir / profile_source));
      if (sd.ok()) url = std::string(sd.resource.childValue("url"));
      core::Issues with_profile = run(validator, {url});
      ++runs;
      exact += errors(with_profile) == want.profile_errors;
      ok = (errors(with_profile) > 0) == (want.profile_errors > 0);
      detail = "profile: expected " + std::to_string(want.profile_errors) + " errors, got " +
               std::to_string(errors(with_profile)) +
               (errors(with_profile) ? " (first: " + firstError(with_profile) + ")" : "");
    }
    if (!setup_problem.empty()) detail += "; set-up: " + setup_problem;
    harness.record(name, ok, detail);
  }
  std::cout << "[validator] exact error counts in " << exact << " of " << runs << " runs\n";
  BOOST_CHECK_EQUAL(harness.total(), 296u);
  BOOST_CHECK(harness.report());
}

// NHS UK Core (../shared/conformance/ukcore): the profiles are differential-only, so each gets a
// snapshot generated against the R4 core; every example is validated against the profile it
// belongs to (examples-index.tsv) and must have no errors, unless listed in
// conformance/ukcore/expected_failures.txt with the defect.
BOOST_AUTO_TEST_CASE(uk_core_examples_against_their_profiles) {
  auto dir = testing::sharedDir("ukcore");
  if (!dir) {
    BOOST_TEST_MESSAGE("skipped: ../shared/conformance/ukcore is absent");
    return;
  }
  config::GatewayConfig cfg;
  config::Diagnostics diags;
  std::vector<std::string> load = {(*dir / "structuredefinitions").string(), (*dir / "valuesets").string(),
                                   (*dir / "codesystems").string()};
  auto profiles = app::loadProfiles(cfg, testing::modelPtr(), load, diags);
  BOOST_REQUIRE(profiles.isOk());
  // Problems in the package itself (a CodeSystem with stray text) are reported, not fatal here.
  std::cout << "[ukcore] definitions: " << diags.all().size() << " problem(s)\n" << diags.toString();
  stages::validate::Validator validator(*profiles);

  testing::Harness harness("ukcore");
  std::ifstream index(*dir / "examples-index.tsv");
  std::string line;
  std::getline(index, line);
  std::size_t clean = 0;
  while (std::getline(index, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    if (f.size() < 3) continue;
    std::string body = testing::readFile(*dir / "examples" / f[0]);
    auto parsed = fhir::read(testing::model(), fhir::sniffFormat(body), body);
    core::Issues issues;
    if (!parsed.ok()) {
      issues = parsed.issues;
    } else {
      stages::validate::ValidationOptions o;
      if (f[2] == "profile-example" && f.size() > 4) o.profiles.push_back(f[4]);
      issues = validator.validate(parsed.resource, o);
    }
    // The profile must really have been used, not skipped as unknown.
    bool skipped = std::any_of(issues.begin(), issues.end(), [](const core::Issue& i) {
      return i.code == "not-supported" && i.message.rfind("profile ", 0) == 0;
    });
    clean += errors(issues) == 0 && !skipped;
    harness.record(f[0], errors(issues) == 0 && !skipped,
                   skipped ? "its profile could not be used"
                           : std::to_string(errors(issues)) + " error(s); first: " + firstError(issues));
  }
  std::cout << "[ukcore] " << clean << " of " << harness.total() << " examples validate without errors\n";
  BOOST_CHECK_EQUAL(harness.total(), 215u);
  BOOST_CHECK(harness.report());
}
