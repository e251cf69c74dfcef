// Patient identity: NHS number check digits, normalisation of names, postcodes and dates, the
// matcher's grades, and its precision and recall on a generated population with known duplicates.
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <set>

#include "config/gateway_config.h"
#include "stages/identity/demographics.h"
#include "stages/identity/matcher.h"

using namespace onedoor;
using namespace onedoor::stages::identity;

namespace {

config::IdentityConfig defaults() {
  config::Diagnostics diags;
  auto cfg = config::parseGatewayConfig("test.json", "{}", diags);
  BOOST_REQUIRE(cfg != nullptr);
  return cfg->identity;
}

Demographics person(const std::string& family, const std::string& given, const std::string& dob, const std::string& postcode,
                    const std::string& gender = "female", const std::string& nhs = "") {
  Demographics d;
  d.family = {normaliseName(family)};
  d.given = {normaliseName(given)};
  d.birth_date = dob;
  d.gender = gender;
  if (!postcode.empty()) d.postcodes = {normalisePostcode(postcode)};
  if (!nhs.empty() && validNhsNumber(nhs)) d.nhs_number = normaliseNhsNumber(nhs);
  return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Identity)

BOOST_AUTO_TEST_CASE(nhs_numbers_by_their_check_digit) {
  BOOST_CHECK(validNhsNumber("9434765919"));
  BOOST_CHECK(validNhsNumber("943 476 5919"));
  BOOST_CHECK(validNhsNumber("943-476-5919"));
  BOOST_CHECK(!validNhsNumber("9434765918"));  // wrong check digit
  BOOST_CHECK(!validNhsNumber("943476591"));   // nine digits
  BOOST_CHECK(!validNhsNumber("94347659190"));
  BOOST_CHECK(!validNhsNumber("94347659l9"));  // a letter
  BOOST_CHECK(!validNhsNumber(""));
  // Check value 10 is never valid: 100000001 weighs to remainder 1, so no digit can follow.
  BOOST_CHECK(!validNhsNumber("1000000010"));
  BOOST_CHECK(validNhsNumber("9000000009"));  // remainder 0 gives check digit 0 (11 - 11 → 0)
  BOOST_CHECK_EQUAL(normaliseNhsNumber(" 943 476 5919 "), "9434765919");
  BOOST_CHECK_EQUAL(normaliseNhsNumber("943.476.5919"), "");
}

BOOST_AUTO_TEST_CASE(names_postcodes_and_phones_normalise) {
  BOOST_CHECK_EQUAL(normaliseName("O'Neill"), "ONEILL");
  BOOST_CHECK_EQUAL(normaliseName("o’neill"), "ONEILL");  // a typographic apostrophe is dropped too
  BOOST_CHECK_EQUAL(normaliseName("Mary-Ann"), "MARY ANN");
  BOOST_CHECK_EQUAL(normaliseName("  smith   jones "), "SMITH JONES");
  BOOST_CHECK_EQUAL(normaliseName("Zoë Ångström"), "ZOE ANGSTROM");
  BOOST_CHECK_EQUAL(normaliseName("St. John"), "ST JOHN");
  BOOST_CHECK_EQUAL(normalisePostcode("ls14ap"), "LS1 4AP");
  BOOST_CHECK_EQUAL(normalisePostcode("SW1A 1AA"), "SW1A 1AA");
  BOOST_CHECK_EQUAL(normalisePostcode(" yo1  7ab "), "YO1 7AB");
  BOOST_CHECK_EQUAL(normalisePostcode("12345"), "");
  BOOST_CHECK_EQUAL(normalisePostcode("LS1 4A"), "");
  BOOST_CHECK_EQUAL(outwardCode("LS1 4AP"), "LS1");
  BOOST_CHECK_EQUAL(normalisePhone("+44 7700 900123"), "07700900123");
  BOOST_CHECK_EQUAL(normalisePhone("07700 900123"), "07700900123");
  BOOST_CHECK_GT(jaroWinkler("MARTHA", "MARHTA"), 0.95);
  BOOST_CHECK_LT(jaroWinkler("SMITH", "PATEL"), 0.6);
}

BOOST_AUTO_TEST_CASE(partial_dates_agree_less_than_full_ones) {
  auto a = person("Khan", "Amir", "1990-04-02", "");
  auto b = person("Khan", "Amir", "1990-04", "");
  auto c = person("Khan", "Amir", "1990-02-04", "");  // day and month transposed
  auto d = person("Khan", "Amir", "1991-04-02", "");
  BOOST_CHECK_EQUAL(Matcher::agreement("birthDate", a, a), 1);
  BOOST_CHECK_CLOSE(Matcher::agreement("birthDate", a, b), 0.6, 1e-9);
  BOOST_CHECK_CLOSE(Matcher::agreement("birthDate", a, c), 0.6, 1e-9);
  BOOST_CHECK_EQUAL(Matcher::agreement("birthDate", a, d), 0);
}

BOOST_AUTO_TEST_CASE(grades_follow_nhs_number_rules_and_score) {
  Matcher m(defaults());
  auto a = person("Sheikh", "Amira", "1990-04-02", "LS1 4AP", "female", "9434765919");
  // The strong key, verified on one side: certain, whatever the demographics.
  auto b = person("Shaikh", "Amira", "1990-04-02", "", "female", "9434765919");
  b.nhs_verified = true;
  BOOST_CHECK(m.compare(a, b).grade == Grade::kCertain);
  // Different valid NHS numbers: certainly not, even with the same demographics.
  auto c = person("Sheikh", "Amira", "1990-04-02", "LS1 4AP", "female", "9000000009");
  BOOST_CHECK(m.compare(a, c).grade == Grade::kCertainlyNot);
  // An unverified number on both sides with demographics that disagree: a person decides.
  auto d = person("Brown", "Peter", "1950-01-01", "YO1 7AB", "male", "9434765919");
  BOOST_CHECK(m.compare(a, d).grade == Grade::kPossible);
  // No NHS number: the deterministic rule (family, given, birth date, postcode).
  auto e = person("SHEIKH", "amira", "1990-04-02", "ls14ap", "unknown");
  auto ce = m.compare(a, e);
  BOOST_CHECK(ce.grade == Grade::kCertain);
  BOOST_CHECK_EQUAL(ce.reason, "rule name-birth-date-postcode");
  // A typo in the family name and no postcode: probable or possible, never certain.
  auto f = person("Shiekh", "Amira", "1990-04-02", "");
  auto cf = m.compare(a, f);
  BOOST_CHECK(cf.grade != Grade::kCertain);
  BOOST_CHECK_GT(cf.score, 0.5);
  // Siblings: same family and postcode, different given name and birth date.
  auto g = person("Sheikh", "Yusuf", "1993-09-12", "LS1 4AP", "male");
  BOOST_CHECK(m.compare(a, g).grade == Grade::kNone);
}

BOOST_AUTO_TEST_CASE(identity_config_is_checked_at_load) {
  config::Diagnostics diags;
  auto cfg = config::parseGatewayConfig("c.json", R"({"identity": {
    "deterministic": [{"name": "r", "fields": ["family", "shoe_size"]}],
    "weights": {"family": 0.5, "height": 0.2},
    "auto_link": 0.6, "review": 0.8}})", diags);
  BOOST_CHECK(cfg == nullptr);
  std::string all = diags.toString();
  BOOST_TEST_MESSAGE(all);
  BOOST_CHECK(all.find("c.json:2:") != std::string::npos);
  BOOST_CHECK(all.find("unknown field 'shoe_size'") != std::string::npos);
  BOOST_CHECK(all.find("height") != std::string::npos);
  BOOST_CHECK(all.find("must not be above auto_link") != std::string::npos);
  config::Diagnostics ok;
  auto good = config::parseGatewayConfig("c.json", R"({"identity": {"weights": {"family": 1, "birthDate": 1},
    "auto_link": 0.95, "review": 0.5}})", ok);
  BOOST_REQUIRE_MESSAGE(good != nullptr, ok.toString());
  BOOST_CHECK_EQUAL(good->identity.weights.size(), 2u);
  BOOST_CHECK_CLOSE(good->identity.auto_link, 0.95, 1e-9);
}

// A generated population: 3,000 people, a fifth of them arriving twice from another partner with
// the errors records really have (a typo, an initial for a first name, a transposed date, a house
// move, a missing postcode, a double-barrelled name), and families (siblings, twins) that must
// not be merged. Candidates are blocked as the resolver blocks them (birth date, swapped birth
// date, postcode with family name); links are what the matcher would auto-link (certain or
// probable).
BOOST_AUTO_TEST_CASE(precision_and_recall_on_a_generated_population) {
  Matcher m(defaults());
  std::mt19937 rng(20261207);
  const std::vector<std::string> families = {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
                                             "Patel", "Khan", "Ahmed", "Hussain", "Begum", "Ali", "Evans", "Thomas",
                                             "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes",
                                             "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "O'Neill",
                                             "Jackson", "Clarke", "Turner", "Hill", "Scott", "Cooper", "Morris", "Ward",
                                             "Nowak", "Kowalski", "Okafor", "Mensah", "Singh", "Kaur", "Chen", "Nguyen"};
  const std::vector<std::string> givens = {"Oliver", "George", "Harry", "Jack", "Noah", "Leo", "Arthur", "Muhammad",
                                           "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella",
                                           "Sophia", "Grace", "Freya", "Amira", "Fatima", "Aisha", "Zara", "Yusuf",
                                           "Thomas", "James", "William", "Charlotte", "Emily", "Jessica", "Daniel",
                                           "Joseph", "Samuel", "Hannah", "Lucy", "Ella", "Ruby", "Chloe", "Mary-Ann"};
  const std::vector<std::string> outward = {"LS1", "LS6", "LS7", "LS8", "LS11", "LS17", "YO1", "YO10", "BD1", "BD7", "HX1", "WF1"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto postcode = [&]() {
    std::string pc = pick(outward) + " " + std::to_string(rng() % 10);
    pc += static_cast<char>('A' + rng() % 26);
    pc += static_cast<char>('A' + rng() % 26);
    return pc;
  };
  auto dob = [&]() {
    char b[11];
    std::snprintf(b, sizeof b, "%04u-%02u-%02u", static_cast<unsigned>(1930 + rng() % 90), static_cast<unsigned>(1 + rng() % 12),
                  static_cast<unsigned>(1 + rng() % 28));
    return std::string(b);
  };
  struct Rec {
    Demographics d;
    int person;
  };
  std::vector<Rec> records;
  int people = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string family = pick(families), given = pick(givens), birth = dob(), pc = postcode();
    std::string gender = rng() % 2 ? "female" : "male";
    int id = people++;
    records.push_back({person(family, given, birth, pc, gender), id});
    if (rng() % 10 == 0) {
      // A sibling at the same address; sometimes a twin (same birth date).
      std::string sib = pick(givens);
      if (sib == given) sib = given == "Oliver" ? "Isla" : "Oliver";
      records.push_back({person(family, sib, rng() % 3 == 0 ? birth : dob(), pc, rng() % 2 ? "female" : "male"), people++});
    }
    if (rng() % 5 != 0) continue;
    // The same person from another partner, with one kind of error.
    std::string f2 = family, g2 = given, b2 = birth, p2 = pc;
    switch (rng() % 7) {
      case 0: break;  // clean
      case 1: f2 = f2.size() > 4 ? f2.substr(0, 2) + f2[3] + f2[2] + f2.substr(4) : f2; break;  // transposed letters
      case 2: g2 = g2.substr(0, 1); break;                                                          // initial
      case 3: if (std::stoi(b2.substr(8)) <= 12) b2 = b2.substr(0, 5) + b2.substr(8, 2) + "-" + b2.substr(5, 2); break;
      case 4: p2 = postcode(); break;  // moved house
      case 5: p2 = ""; break;          // the charity holds no address
      case 6: f2 = f2 + "-" + pick(families); break;  // double-barrelled after marriage
    }
    records.push_back({person(f2, g2, b2, p2, gender), id});
  }
  // Blocks as the resolver's searches: the birth date (and with day and month swapped); the
  // postcode with the family name. (The search's prefix match on family is approximated by
  // equality of the first part.)
  std::map<std::string, std::vector<std::size_t>> blocks;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& d = records[i].d;
    const std::string& b = d.birth_date;
    blocks["b:" + b].push_back(i);
    if (b.size() == 10 && b.substr(5, 2) != b.substr(8, 2) && b.substr(8, 2) <= "12") {
      blocks["b:" + b.substr(0, 5) + b.substr(8, 2) + "-" + b.substr(5, 2)].push_back(i);
    }
    for (const auto& f : d.family) {
      for (const auto& p : d.postcodes) blocks["fp:" + f.substr(0, f.find(' ')) + p].push_back(i);
    }
  }
  std::set<std::pair<std::size_t, std::size_t>> compared;
  std::size_t tp = 0, fp = 0, review_true = 0, review_false = 0;
  for (const auto& [key, members] : blocks) {
    for (std::size_t x = 0; x < members.size(); ++x) {
      for (std::size_t y = x + 1; y < members.size(); ++y) {
        auto pair = std::minmax(members[x], members[y]);
        if (!compared.insert(pair).second) continue;
        auto c = m.compare(records[pair.first].d, records[pair.second].d);
        bool same = records[pair.first].person == records[pair.second].person;
        if (c.grade == Grade::kCertain || c.grade == Grade::kProbable) {
          (same ? tp : fp)++;
        } else if (c.grade == Grade::kPossible) {
          (same ? review_true : review_false)++;
        }
      }
    }
  }
  std::map<int, int> per_person;
  for (const auto& r : records) per_person[r.person]++;
  std::size_t true_pairs = 0;
  for (const auto& [p, n] : per_person) true_pairs += static_cast<std::size_t>(n * (n - 1) / 2);
  double precision = tp + fp == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(tp + fp);
  double recall = static_cast<double>(tp) / static_cast<double>(true_pairs);
  double recall_with_review = static_cast<double>(tp + review_true) / static_cast<double>(true_pairs);
  BOOST_TEST_MESSAGE("matcher on " << records.size() << " records, " << true_pairs << " true duplicate pairs, "
                                   << compared.size() << " pairs compared: auto-link precision " << precision
                                   << ", recall " << recall << "; with the review list, recall " << recall_with_review
                                   << " (" << review_false << " false pairs listed for review)");
  BOOST_CHECK_GE(precision, 0.99);
  BOOST_CHECK_GE(recall, 0.60);
  BOOST_CHECK_GE(recall_with_review, 0.95);
}

BOOST_AUTO_TEST_SUITE_END()
