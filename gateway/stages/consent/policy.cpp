#include "stages/consent/policy.h"

#include "config/json_reader.h"

namespace onedoor::stages::consent {
namespace {

const std::vector<std::string> kSectors = {"gp", "acute", "mental-health", "social-care", "vcfse", "auditor"};

// A label written as CODE is taken from v3-ActCode (sensitivity) or v3-Confidentiality (U L M
// N R V); system|code is kept as written.
std::string labelKey(const std::string& l) {
  if (l.find('|') != std::string::npos) return l;
  if (l.size() == 1 && std::string("ULMNRV").find(l) != std::string::npos) {
    return "http://terminology.hl7.org/CodeSystem/v3-Confidentiality|" + l;
  }
  return "http://terminology.hl7.org/CodeSystem/v3-ActCode|" + l;
}

void sectorsOf(config::ObjectReader& r, const char* key, std::set<std::string>& out) {
  std::vector<std::string> list;
  r.stringList(key, list);
  for (const auto& s : list) {
    if (std::find(kSectors.begin(), kSectors.end(), s) == kSectors.end()) {
      r.error(key, "unknown sector '" + s + "' (gp, acute, mental-health, social-care, vcfse, auditor)");
    }
    out.insert(s);
  }
}

PolicyPtr build(const config::JsonConfigFile& file, config::Diagnostics& diags) {
  if (!file.ok()) return nullptr;
  auto p = std::make_shared<Policy>();
  p->source = file.name();
  config::ObjectReader root = file.root(diags);
  if (!root.valid()) return nullptr;
  root.string("version", p->version, true);
  root.objects("rules", [&](config::ObjectReader& r) {
    PolicyRule rule;
    r.string("id", rule.id, true);
    sectorsOf(r, "sectors", rule.sectors);
    std::vector<std::string> purposes;
    r.stringList("purposes", purposes, true);
    rule.purposes.insert(purposes.begin(), purposes.end());
    std::vector<std::string> list;
    r.stringList("partners", list);
    rule.partners.insert(list.begin(), list.end());
    r.oneOf("access", rule.access, {"full", "minimal", "none"});
    r.oneOf("consent", rule.consent, {"implied", "explicit", "not-required"});
    list.clear();
    r.stringList("sees_labels", list);
    for (const auto& l : list) rule.sees_labels.insert(labelKey(l));
    list.clear();
    r.stringList("withhold_types", list);
    rule.withhold_types.insert(list.begin(), list.end());
    r.boolean("requires_authoriser", rule.requires_authoriser);
    if (rule.consent == "not-required" && rule.partners.empty()) {
      r.error("consent", "rule " + rule.id + " sets consent aside: name the partners it is for ('partners')");
    }
    r.boolean("national_opt_out", rule.national_opt_out);
    r.boolean("exact_totals", rule.exact_totals);
    r.boolean("reverse_chaining", rule.reverse_chaining);
    r.boolean("reveal_missing", rule.reveal_missing);
    for (const auto& other : p->rules) {
      if (other.id == rule.id) r.error("id", "rule id '" + rule.id + "' is used twice");
    }
    r.done();
    p->rules.push_back(std::move(rule));
  }, true);
  root.objects("sensitive", [&](config::ObjectReader& r) {
    std::string label;
    r.string("label", label, true);
    std::set<std::string> sectors;
    sectorsOf(r, "sectors", sectors);
    r.done();
    p->sensitive[labelKey(label)] = std::move(sectors);
  });
  root.objects("labelling", [&](config::ObjectReader& r) {
    LabelRule l;
    r.string("id", l.id, true);
    sectorsOf(r, "written_by_sectors", l.written_by_sectors);
    std::vector<std::string> types;
    r.stringList("types", types);
    l.types.insert(types.begin(), types.end());
    r.string("label", l.label, true);
    l.label = labelKey(l.label);
    std::string when;
    r.string("when", when);
    if (!when.empty()) {
      auto e = fhirpath::Expression::compile(when);
      if (e.isOk()) {
        l.when = std::make_shared<const fhirpath::Expression>(std::move(e).value());
      } else {
        r.error("when", "FHIRPath: " + e.status().message());
      }
    }
    r.done();
    p->labelling.push_back(std::move(l));
  });
  config::ObjectReader minimal = root.object("minimal_dataset");
  if (minimal.valid()) {
    if (const auto* elements = minimal.raw("elements")) {
      if (elements->kind != fhir::JsonTree::Kind::kObject) {
        minimal.error("elements", "must be an object of type: [elements]");
      } else {
        for (const auto* member : file.tree().children(*elements)) {
          std::set<std::string> names;
          if (member->kind == fhir::JsonTree::Kind::kArray) {
            for (const auto* e : file.tree().children(*member)) {
              if (e->kind == fhir::JsonTree::Kind::kString) names.insert(std::string(e->text));
            }
          }
          p->minimal_types.insert(std::string(member->key));
          p->minimal_elements[std::string(member->key)] = std::move(names);
        }
      }
    }
    minimal.done();
  }
  std::string opt_out;
  root.string("national_opt_out_policy", opt_out);
  p->opt_out_policy = opt_out.empty() ? "" : labelKey(opt_out);
  config::ObjectReader bg = root.object("break_glass");
  std::vector<std::string> bg_partners, bg_purposes;
  bg.stringList("partners", bg_partners);
  bg.stringList("purposes", bg_purposes);
  bg.u32("minutes", p->break_glass_minutes, false, 1, 24 * 60);
  bg.done();
  p->break_glass_partners.insert(bg_partners.begin(), bg_partners.end());
  p->break_glass_purposes.insert(bg_purposes.begin(), bg_purposes.end());
  root.string("$comment", opt_out);  // free text for humans
  root.done();
  if (diags.hasErrors()) return nullptr;
  return p;
}

}  // namespace

const PolicyRule* Policy::rule(const std::string& sector, const std::string& purpose, const std::string& partner) const {
  for (const auto& r : rules) {
    if (r.sectors.count(sector) && r.purposes.count(purpose) && (r.partners.empty() || r.partners.count(partner))) return &r;
  }
  return nullptr;
}

PolicyPtr loadPolicy(const std::string& path, config::Diagnostics& diags) {
  return build(config::JsonConfigFile::load(path, diags), diags);
}

PolicyPtr parsePolicy(const std::string& name, const std::string& text, config::Diagnostics& diags) {
  return build(config::JsonConfigFile::fromText(name, text, diags), diags);
}

PolicyPtr denyAllPolicy() {
  auto p = std::make_shared<Policy>();
  p->version = "deny-all";
  p->source = "(built in: no consent.policy configured)";
  return p;
}

}  // namespace onedoor::stages::consent
