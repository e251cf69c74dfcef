#include <boost/test/unit_test.hpp>

#include "fhir/model_builder.h"
#include "support/test_support.h"

using namespace onedoor::fhir;
using onedoor::testing::model;

BOOST_AUTO_TEST_SUITE(ModelTest)

BOOST_AUTO_TEST_CASE(knows_every_r4_resource_type) {
  auto types = model().resourceTypes();
  BOOST_CHECK_EQUAL(types.size(), 146u);  // R4 4.0.1: 148 resource SDs, 2 abstract
  BOOST_CHECK(model().resourceType("Patient") != nullptr);
  BOOST_CHECK(model().resourceType("DomainResource") == nullptr);
}

BOOST_AUTO_TEST_CASE(resolves_choice_elements_by_type_suffix) {
  const TypeInfo* obs = model().type("Observation");
  const TypeInfo* concrete = nullptr;
  const ElementDef* e = obs->resolve("valueQuantity", &concrete);
  BOOST_REQUIRE(e != nullptr);
  BOOST_CHECK(e->choice);
  BOOST_CHECK_EQUAL(e->name, "value");
  BOOST_CHECK_EQUAL(concrete->name, "Quantity");
  BOOST_CHECK(obs->resolve("valueQuantityX", &concrete) == nullptr);
  BOOST_CHECK(obs->resolve("value", &concrete) == nullptr);
}

BOOST_AUTO_TEST_CASE(types_backbones_and_content_references) {
  const TypeInfo* q = model().type("Questionnaire");
  const ElementDef* item = q->element("item");
  BOOST_REQUIRE(item != nullptr);
  const TypeInfo* item_type = item->types.front();
  BOOST_CHECK_EQUAL(item_type->name, "Questionnaire.item");
  BOOST_CHECK(item_type->kind == TypeKind::kBackbone);
  BOOST_CHECK_EQUAL(item_type->element("item")->types.front(), item_type);
}

BOOST_AUTO_TEST_CASE(primitives_carry_their_json_kind_and_system_type) {
  BOOST_CHECK(model().type("positiveInt")->json_kind == JsonKind::kNumber);
  BOOST_CHECK_EQUAL(model().type("positiveInt")->system_type, "Integer");
  BOOST_CHECK(model().type("decimal")->json_kind == JsonKind::kNumber);
  BOOST_CHECK(model().type("boolean")->json_kind == JsonKind::kBoolean);
  BOOST_CHECK(model().type("instant")->json_kind == JsonKind::kString);
  BOOST_CHECK_EQUAL(model().type("instant")->system_type, "DateTime");
  BOOST_CHECK(model().type("Extension")->element("url")->xml_attr);
}

BOOST_AUTO_TEST_CASE(the_cache_text_reads_back_to_the_same_model) {
  std::string text = writeModelCache(model(), "k");
  auto again = readModelCache(text, "k");
  BOOST_REQUIRE(again.isOk());
  BOOST_CHECK_EQUAL(writeModelCache(**again, "k"), text);
  BOOST_CHECK(!readModelCache(text, "other").isOk());
  BOOST_CHECK(!readModelCache(text.substr(0, text.size() / 2) + "\nE broken", "k").isOk());
}

BOOST_AUTO_TEST_CASE(a_missing_package_is_named_in_the_error) {
  PackageCache empty("/nonexistent-onedoor-cache");
  auto r = empty.locate(kR4Core);
  BOOST_CHECK(!r.isOk());
  BOOST_CHECK(r.status().message().find("hl7.fhir.r4.core#4.0.1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
