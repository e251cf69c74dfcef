// The mapping engine on the shared FML suites: the fhir-test-cases manifest (output compared by
// content) and the matchbox maps (the checks EXPECTATIONS.md states), with the cases this engine
// cannot run listed with their reason (and checked to still fail, so that a fix is noticed);
// plus run-time errors that name the map, group and rule.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <regex>

#include "fhir/codec.h"
#include "fhirpath/expression.h"
#include "fml/engine.h"
#include "fml/parser.h"
#include "support/test_support.h"

using namespace onedoor;

namespace {

core::Result<fhir::Node> runMap(const std::filesystem::path& map_file, const std::filesystem::path& source_file) {
  auto m = fml::parseMap(testing::readFile(map_file), map_file.filename().string());
  if (!m.isOk()) return m.status();
  auto cm = fml::CompiledMap::compile(std::move(m).value(), testing::modelPtr());
  if (!cm.isOk()) return cm.status();
  std::string text = testing::readFile(source_file);
  // matchbox's qrext.json writes one positiveInt as a JSON string, which FHIR JSON does not allow
  // (this gateway's reader refuses it); the value is written as a number before the map runs.
  if (source_file.filename() == "qrext.json") {
    text = std::regex_replace(text, std::regex("\"valuePositiveInt\": \"([0-9]+)\""), "\"valuePositiveInt\": $1");
  }
  fhir::Node source = testing::parse(text);
  fml::TransformOptions options;
  int n = 0;
  options.uuid = [&n] { return "uuid-" + std::to_string(++n); };
  return (*cm)->transform(source, options);
}

// What the engine cannot run yet, and why.
const std::map<std::string, std::string> kExpectedFailures = {
    {"qr2cda.map", "needs the CDA logical model (hl7.cda.uv.core), not installed"},
    {"qr2cdaxsi.map", "needs the CDA logical model (hl7.cda.uv.core), not installed"},
    {"qr2cda-eval.map", "needs the CDA logical model (hl7.cda.uv.core), not installed"},
    {"memberof.map", "memberOf() needs the marital-status ValueSet expansion, not given to the engine yet"},
    {"conformstoneg.map", "conformsTo() needs the validator, not given to the engine yet"},
    {"quantity.map", "upstream marks qty as not implemented; the expected unit system differs"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(FmlEngine)

BOOST_AUTO_TEST_CASE(fhir_test_cases_manifest) {
  auto dir = testing::sharedDir("mapping/fhir-test-cases/r4b");
  if (!dir) {
    BOOST_TEST_MESSAGE("skipped: ../shared/conformance/mapping is absent");
    return;
  }
  std::string manifest = testing::readFile(*dir / "manifest.xml");
  std::regex test(R"re(<test name="[^"]*" source="([^"]+)" map="([^"]+)" output="([^"]+)")re");
  int passed = 0, expected_fail = 0;
  for (auto it = std::sregex_iterator(manifest.begin(), manifest.end(), test); it != std::sregex_iterator(); ++it) {
    std::string source = (*it)[1], map = (*it)[2], output = (*it)[3];
    if (map.size() < 4 || map.substr(map.size() - 4) != ".map") continue;  // compiled StructureMaps: later
    auto result = runMap(*dir / map, *dir / source);
    bool ok = false;
    std::string why;
    if (result.isOk() && output.substr(output.size() - 5) == ".json") {
      fhir::Node expected = testing::parse(testing::readFile(*dir / output));
      ok = fhir::writeJson(*result) == fhir::writeJson(expected);
      why = "got " + fhir::writeJson(*result) + "\nwant " + fhir::writeJson(expected);
    } else {
      why = result.isOk() ? "XML output" : result.status().message();
    }
    if (kExpectedFailures.count(map)) {
      BOOST_CHECK_MESSAGE(!ok, map + " passes now: remove it from kExpectedFailures");
      ++expected_fail;
      continue;
    }
    BOOST_CHECK_MESSAGE(ok, map + ": " + why);
    passed += ok;
  }
  BOOST_TEST_MESSAGE("fhir-test-cases: " << passed << " passed, " << expected_fail << " expected failures");
  BOOST_CHECK_GE(passed, 6);
}

BOOST_AUTO_TEST_CASE(matchbox_maps) {
  auto dir = testing::sharedDir("mapping/matchbox");
  if (!dir) {
    BOOST_TEST_MESSAGE("skipped: ../shared/conformance/mapping is absent");
    return;
  }
  struct Case {
    std::string map, source, expr, expected;
  };
  // EXPECTATIONS.md, as FHIRPath on the result.
  const std::vector<Case> cases = {
      {"qr2patgender.map", "qr.json", "Patient.gender", R"(["female"])"},
      {"memberof.map", "pat.json", "Patient.gender", R"(["male"])"},
      {"narrative.map", "pat.json", "Patient.text.div.toString()", R"(["<div xmlns=\"http://www.w3.org/1999/xhtml\">text</div>"])"},
      {"conformsto.map", "pat.json", "Patient.gender", R"(["male"])"},
      {"stringtocoding.map", "qr.json", "ExplanationOfBenefit.type.coding.first().system + '#' + ExplanationOfBenefit.type.coding.first().code",
       R"(["http://terminology.hl7.org/CodeSystem/claim-type#oral"])"},
      {"stringtocodingwithcc.map", "qr.json", "ExplanationOfBenefit.type.coding.first().system + '#' + ExplanationOfBenefit.type.coding.first().code",
       R"(["http://terminology.hl7.org/CodeSystem/communication-category#notification"])"},
      {"translatecoding.map", "qr.json",
       "ExplanationOfBenefit.type.coding.first().code + ExplanationOfBenefit.item.first().location.coding.first().code",
       R"(["112283007112283007"])"},
      {"cast.map", "qrext.json", "Observation.exists()", R"([true])"},
      {"bundlets.map", "qrext.json", "Bundle.timestamp.toString()", R"(["2023-10-21T00:00:00Z"])"},
      {"qr2patfordates.map", "qrext.json", "Patient.birthDate.toString()", R"(["2023-10-26"])"},
      {"copyaliasingbug.map", "copyaliasingbug-source.json",
       "Bundle.entry.count().toString() + Bundle.entry[0].resource.active.toString() + Bundle.entry[1].resource.active.toString()",
       R"(["2falsetrue"])"},
  };
  int passed = 0;
  for (const auto& c : cases) {
    auto result = runMap(*dir / c.map, *dir / c.source);
    std::string got = result.isOk() ? testing::evalJson(*result, c.expr) : result.status().message();
    bool ok = got == c.expected;
    if (kExpectedFailures.count(c.map)) {
      BOOST_CHECK_MESSAGE(!ok, c.map + " passes now: remove it from kExpectedFailures");
      continue;
    }
    BOOST_CHECK_MESSAGE(ok, c.map + ": got " + got + ", want " + c.expected);
    passed += ok;
  }
  BOOST_TEST_MESSAGE("matchbox: " << passed << " passed");
}

BOOST_AUTO_TEST_CASE(run_time_errors_name_map_group_and_rule) {
  // The called group's inputs have no declared type: only running finds the wrong element.
  const char* text = R"(map "https://onedoor.dev/m" = "Broken"
uses "http://hl7.org/fhir/StructureDefinition/Patient" alias Patient as source
uses "http://hl7.org/fhir/StructureDefinition/Patient" alias Patient as target
group main(source src : Patient, target tgt : Patient) {
  src as s then copyGender(s, tgt) "all";
}
group copyGender(source s, target t) {
  s.gender as g -> t.colour = g "colour";
}
)";
  auto m = fml::parseMap(text, "broken.map");
  BOOST_REQUIRE(m.isOk());
  auto cm = fml::CompiledMap::compile(std::move(m).value(), testing::modelPtr());
  BOOST_REQUIRE_MESSAGE(cm.isOk(), cm.status().message());
  auto r = (*cm)->transform(testing::parse(R"({"resourceType": "Patient", "gender": "male"})"));
  BOOST_REQUIRE(!r.isOk());
  BOOST_CHECK_EQUAL(r.status().message(),
                    "map Broken, group copyGender, rule colour (broken.map:8:3): 'colour' is not an element of Patient");
  auto bad_call = fml::parseMap(R"(map "u" = x
group main(source s, target t) {
  s.a as a -> t.b as b then nowhere(a, b);
}
)", "call.map");
  BOOST_REQUIRE(bad_call.isOk());
  auto c = fml::CompiledMap::compile(std::move(bad_call).value(), testing::modelPtr());
  BOOST_REQUIRE(!c.isOk());
  BOOST_CHECK(c.status().message().find("call.map:3:29: unknown group 'nowhere'") != std::string::npos);
}

// Mistakes that the types declared in the map show are reported when it loads, at file:line:col.
BOOST_AUTO_TEST_CASE(load_time_type_checks) {
  auto load = [](const std::string& rules) {
    std::string text = R"(map "https://onedoor.dev/m" = "Checked"
uses "http://hl7.org/fhir/StructureDefinition/Patient" alias Patient as source
uses "http://hl7.org/fhir/StructureDefinition/Bundle" alias Bundle as target
group main(source src : Patient, target bundle : Bundle) {
)" + rules + "}\n";
    auto m = fml::parseMap(text, "checked.map");
    BOOST_REQUIRE_MESSAGE(m.isOk(), m.status().message());
    auto cm = fml::CompiledMap::compile(std::move(m).value(), testing::modelPtr());
    return cm.isOk() ? std::string() : cm.status().message();
  };
  // Fine: nested elements through variables, choice elements by stem and by type, backbones.
  BOOST_CHECK_EQUAL(load("  src.name as n -> bundle.entry as e, e.resource = create('Patient') as p then {\n"
                         "    n.given as g -> p.name as pn, pn.given = g \"given\";\n"
                         "    src.deceased : boolean as d -> p.deceasedBoolean = d \"dead\";\n"
                         "    src.contact as c -> p.contact as pc then { c.relationship as rel -> pc.relationship = rel \"rel\"; } \"contact\";\n"
                         "  } \"entry\";\n"),
                    "");
  BOOST_CHECK_EQUAL(load("  src.nmae as n -> bundle.type = 'collection' \"name\";\n"),
                    "checked.map:5:3: 'nmae' is not an element of Patient (map Checked, group main, rule name)");
  BOOST_CHECK_EQUAL(load("  src.name as n -> bundle.entrys as e \"entry\";\n"),
                    "checked.map:5:20: 'entrys' is not an element of Bundle (map Checked, group main, rule entry)");
  BOOST_CHECK_EQUAL(load("  src.name as n -> bundle.entry as e, e.resource = create('Patient') as p, p.name = create('Patient') \"bad\";\n"),
                    "checked.map:5:76: type mismatch: Patient.name holds HumanName, not Patient (map Checked, group main, rule bad)");
  BOOST_CHECK_EQUAL(load("  src.name as n -> bundle.entry as e, e.resource = create('HumanName') \"bad\";\n"),
                    "checked.map:5:39: type mismatch: Bundle.entry.resource holds Resource, not HumanName (map Checked, group main, rule bad)");
  BOOST_CHECK_EQUAL(load("  src.birthDate : Quantity as b -> bundle.type = 'collection' \"typed\";\n"),
                    "checked.map:5:3: Patient.birthDate cannot be a Quantity (map Checked, group main, rule typed)");
  BOOST_CHECK_EQUAL(load("  src.name as n -> bundle.entry as e then { n.famly as f -> e.fullUrl = f \"inner\"; } \"outer\";\n"),
                    "checked.map:5:45: 'famly' is not an element of HumanName (map Checked, group main, rule inner)");
  // The published syntax test map has such a typo (tgt.identifer on a Basic): found at load.
  if (auto dir = testing::sharedDir("mapping/fhir-test-cases/r4b")) {
    auto m = fml::parseMap(testing::readFile(*dir / "syntax.map"), "syntax.map");
    BOOST_REQUIRE(m.isOk());
    auto cm = fml::CompiledMap::compile(std::move(m).value(), testing::modelPtr());
    BOOST_REQUIRE(!cm.isOk());
    BOOST_CHECK_EQUAL(cm.status().message(),
                      "syntax.map:15:21: 'identifer' is not an element of Basic (map syntax, group Patient, rule identifier)");
  }
}

// translate() with a ConceptMap resource given to compile(): forwards, backwards (the source code
// for a target code), unmatched codes leave the target out, unlisted codes stop the map, and a
// ConceptMap that is not there is found at load.
BOOST_AUTO_TEST_CASE(translate_reads_concept_maps_both_ways) {
  fml::ConceptMaps cms;
  cms.emplace("https://onedoor.dev/cm", testing::parse(R"({"resourceType": "ConceptMap", "url": "https://onedoor.dev/cm",
    "status": "active", "group": [{"source": "https://local", "target": "http://snomed.info/sct", "element": [
      {"code": "LOWMOOD", "target": [{"code": "366979004", "display": "Depressed mood", "equivalence": "equivalent"}]},
      {"code": "OTHER", "target": [{"equivalence": "unmatched"}]}]}]})"));
  auto compile = [&](const std::string& rule, fml::ConceptMaps given) {
    std::string text = R"(map "https://onedoor.dev/t" = "T"
uses "http://hl7.org/fhir/StructureDefinition/Observation" alias Observation as source
uses "http://hl7.org/fhir/StructureDefinition/Observation" alias Observation as target
group main(source src : Observation, target tgt : Observation) {
)" + rule + "}\n";
    auto m = fml::parseMap(text, "t.map");
    BOOST_REQUIRE_MESSAGE(m.isOk(), m.status().message());
    return fml::CompiledMap::compile(std::move(m).value(), testing::modelPtr(), std::move(given));
  };
  auto run = [&](const fml::CompiledMapPtr& cm, const std::string& code) {
    auto r = cm->transform(testing::parse(R"({"resourceType": "Observation", "status": "final", "code": {"text": ")" + code + R"("}})"));
    return r.isOk() ? fhir::writeJson(*r) : r.status().message();
  };
  auto fwd = compile("  src.code as c then { c.text as t -> tgt.code = translate(t, 'https://onedoor.dev/cm', 'CodeableConcept') \"code\"; } \"c\";\n", cms);
  BOOST_REQUIRE_MESSAGE(fwd.isOk(), fwd.status().message());
  BOOST_CHECK_EQUAL(run(*fwd, "LOWMOOD"),
                    R"({"resourceType":"Observation","code":{"coding":[{"system":"http://snomed.info/sct","code":"366979004","display":"Depressed mood"}]}})");
  BOOST_CHECK_EQUAL(run(*fwd, "366979004"),  // backwards
                    R"({"resourceType":"Observation","code":{"coding":[{"system":"https://local","code":"LOWMOOD"}]}})");
  BOOST_CHECK_EQUAL(run(*fwd, "OTHER"), R"({"resourceType":"Observation"})");
  BOOST_CHECK_EQUAL(run(*fwd, "NEW"),
                    "map T, group main, rule code (t.map:5:24): translate: https://onedoor.dev/cm has no mapping for NEW");
  auto missing = compile("  src.code as c -> tgt.code = translate(c, 'https://onedoor.dev/nope', 'code') \"code\";\n", cms);
  BOOST_REQUIRE(!missing.isOk());
  BOOST_CHECK_EQUAL(missing.status().message(),
                    "t.map:5:20: unknown ConceptMap 'https://onedoor.dev/nope' (no ConceptMap resource with that url beside the map) "
                    "(map T, group main, rule code)");
  auto hash = compile("  src.code as c -> tgt.code = translate(c, '#nope', 'code') \"code\";\n", {});
  BOOST_REQUIRE(!hash.isOk());
  BOOST_CHECK(hash.status().message().find("unknown ConceptMap '#nope' (no conceptmap block with that id in the map)") !=
              std::string::npos);
}

// The finished target is checked as the FHIR readers check input: a value that cannot be what
// its element holds is named with its place.
BOOST_AUTO_TEST_CASE(the_output_is_checked_like_fhir_input) {
  auto m = fml::parseMap(R"(map "https://onedoor.dev/o" = "Out"
uses "http://hl7.org/fhir/StructureDefinition/Patient" alias Patient as source
uses "http://hl7.org/fhir/StructureDefinition/Observation" alias Observation as target
group main(source src : Patient, target obs : Observation) {
  src -> obs.status = 'final' "status";
  src.name as n -> obs.component as c, c.value = create('integer') as v, v.value = (%n.family) "count";
}
)", "out.map");
  BOOST_REQUIRE_MESSAGE(m.isOk(), m.status().message());
  auto cm = fml::CompiledMap::compile(std::move(m).value(), testing::modelPtr());
  BOOST_REQUIRE_MESSAGE(cm.isOk(), cm.status().message());
  auto ok = (*cm)->transform(testing::parse(R"({"resourceType": "Patient", "name": [{"family": "42"}]})"));
  BOOST_REQUIRE_MESSAGE(ok.isOk(), ok.status().message());
  BOOST_CHECK_EQUAL(fhir::writeJson(*ok), R"({"resourceType":"Observation","status":"final","component":[{"valueInteger":42}]})");
  auto bad = (*cm)->transform(testing::parse(R"({"resourceType": "Patient", "name": [{"family": "Smith"}]})"));
  BOOST_REQUIRE(!bad.isOk());
  BOOST_CHECK_EQUAL(bad.status().message(),
                    "map Out: the output is not a valid Observation: 'Smith' is not a valid integer at "
                    "Observation.component.valueInteger");
}

BOOST_AUTO_TEST_SUITE_END()
