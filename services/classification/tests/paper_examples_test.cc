// The examples of "Transforming the Met" (25 June 2021), sections 3.3-3.7,
// 3.13 and 3.16, written as the paper describes them, classified by the
// shipped ruleset. A feature the paper does not mention keeps its "not
// stated" value (false, 0, UNSPECIFIED); comments quote what each value
// rests on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "changeledger/classification/ruleset.h"

namespace changeledger::classification {
namespace {

using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

// Every shipped version must classify the paper's examples as the paper
// does (the version number).
class PaperExamplesTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    auto r = LoadRulesetFile(std::string(CLASSIFICATION_RULESET_DIR) +
                             "/differentiated-model-v" + std::to_string(GetParam()) + ".yaml");
    ASSERT_TRUE(r.ok()) << r.status();
    ruleset_ = std::move(*r);
  }
  Suggestion Classify(const ChangeFacts& f) const { return ruleset_->Evaluate(f); }
  std::unique_ptr<Ruleset> ruleset_;
};

INSTANTIATE_TEST_SUITE_P(Versions, PaperExamplesTest, ::testing::Values(1u, 2u),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

std::string Explain(const Suggestion& s) {
  std::string out = Describe(s.classification) + " points=" +
                    std::to_string(s.complexity_points) + " fired:";
  for (const FiredRule& r : s.fired_rules) out += " " + r.rule_id;
  return out;
}

// --- Transformational (3.4-3.7, 3.13a) ---

TEST_P(PaperExamplesTest, ConnectIsTransformationalHighOrMedium) {
  ChangeFacts f;
  // "moving from using 8 of our core policing systems to using one
  // integrated system"; one of "the most complex transformational change
  // activities" (3.8), part of Transforming Investigation and Prosecution.
  f.interdependent_projects = true;
  f.sro_led = true;
  f.has_business_case = true;
  f.organisational_scope = Scope::kOrganisationWide;
  // "to configure the solution, integrate within our infrastructure and
  // ensure the right training for staff".
  f.work_packages = 3;
  f.technology_and_data_implications = true;
  // "already live in 15 other forces": a supplier's product.
  f.third_party_procurement = true;
  f.data_and_digital = true;
  f.clarity_of_aims = AimsClarity::kClear;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kTransformational) << Explain(s);
  EXPECT_THAT(s.classification.complexity, AnyOf(Complexity::kHigh, Complexity::kMedium))
      << Explain(s);
  EXPECT_THAT(s.classification.types, Contains(ComplexityType::kStructural)) << Explain(s);
  ASSERT_FALSE(s.fired_rules.empty());
  EXPECT_EQ(s.fired_rules[0].rule_id, "T1-sro-led-programme");
  EXPECT_TRUE(s.fired_rules[0].decisive);
}

TEST_P(PaperExamplesTest, ResourceManagementIsTransformationalHighOrMedium) {
  ChangeFacts f;
  // Optimising Contact and Response programme: "an effective and efficient
  // resource management service and enabling technology", "transformational
  // change across the organisation" (3.5).
  f.interdependent_projects = true;
  f.sro_led = true;
  f.has_business_case = true;
  f.organisational_scope = Scope::kOrganisationWide;
  f.technology_and_data_implications = true;
  f.data_and_digital = true;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kTransformational) << Explain(s);
  EXPECT_THAT(s.classification.complexity, AnyOf(Complexity::kHigh, Complexity::kMedium))
      << Explain(s);
}

TEST_P(PaperExamplesTest, OnCallCommandAndControlIsTransformational) {
  ChangeFacts f;
  // New Computer-Aided Despatch for MetCC: "radio, 999, 101, social media
  // and other digital contacts across our control rooms"; "keep the public
  // and our officers safe" (3.6-3.7).
  f.interdependent_projects = true;
  f.sro_led = true;
  f.has_business_case = true;
  f.organisational_scope = Scope::kOrganisationWide;
  f.technology_and_data_implications = true;
  f.third_party_procurement = true;
  f.public_or_political_interest = Interest::kHigh;
  // Control rooms, despatch operators, frontline officers, the public.
  f.impacted_stakeholder_groups = 4;
  f.data_and_digital = true;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kTransformational) << Explain(s);
  EXPECT_EQ(s.classification.complexity, Complexity::kHigh) << Explain(s);
  EXPECT_THAT(s.classification.types,
              ElementsAre(ComplexityType::kStructural, ComplexityType::kSocioPolitical));
  EXPECT_THAT(s.change_approach, testing::HasSubstr("programme"));
  EXPECT_THAT(s.leadership, testing::HasSubstr("SRO"));
}

// --- Mandated (3.13b) ---

TEST_P(PaperExamplesTest, PibIsMandated) {
  ChangeFacts f;
  // "Stand-alone business led change projects, with agreed mandates and
  // business cases by corporate governance (e.g. PIB)".
  f.has_business_case = true;
  f.organisational_scope = Scope::kBusinessArea;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kMandated) << Explain(s);
  EXPECT_EQ(s.fired_rules[0].rule_id, "T4-business-case");
  EXPECT_THAT(s.leadership, testing::HasSubstr("Business-led"));
}

TEST_P(PaperExamplesTest, DataEnvironmentSolutionIsMandated) {
  ChangeFacts f;
  // "Some less complex business led programmes may also be included (e.g.
  // Data Environment Solution in Digital Intelligence ...)".
  f.interdependent_projects = true;
  f.sro_led = false;
  f.has_business_case = true;
  f.organisational_scope = Scope::kBusinessArea;
  f.technology_and_data_implications = true;
  f.data_and_digital = true;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kMandated) << Explain(s);
  EXPECT_NE(s.classification.complexity, Complexity::kHigh) << Explain(s);
}

TEST_P(PaperExamplesTest, FacialRecognitionIsMandated) {
  ChangeFacts f;
  // "live/retrospective facial recognition": a less complex business-led
  // programme of two capabilities (live and retrospective), technology
  // with data (biometric matching). Its public and political interest is
  // high: the use of facial recognition by police is publicly contested.
  f.interdependent_projects = true;
  f.has_business_case = true;
  f.organisational_scope = Scope::kBusinessArea;
  f.work_packages = 2;
  f.technology_and_data_implications = true;
  f.data_and_digital = true;
  f.public_or_political_interest = Interest::kHigh;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kMandated) << Explain(s);
  EXPECT_THAT(s.classification.types, Contains(ComplexityType::kSocioPolitical)) << Explain(s);
}

// --- Experimental (3.13c) ---

TEST_P(PaperExamplesTest, NaturalLanguageProcessingProofOfConceptIsExperimental) {
  ChangeFacts f;
  // "PoC on natural language processing": tests a hypothesis, technology.
  f.tests_hypothesis = true;
  f.technology_and_data_implications = true;
  f.data_and_digital = true;
  f.organisational_scope = Scope::kLocal;
  f.clarity_of_aims = AimsClarity::kEvolving;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kExperimental) << Explain(s);
  EXPECT_THAT(s.classification.complexity, AnyOf(Complexity::kMedium, Complexity::kLow));
  EXPECT_THAT(s.classification.types, Contains(ComplexityType::kEmergent)) << Explain(s);
  EXPECT_THAT(s.change_approach, testing::HasSubstr("Test and learn"));
}

TEST_P(PaperExamplesTest, OpenSourceFunctionalityTestIsExperimental) {
  ChangeFacts f;
  // "testing of new functionality within Long-arm open source software".
  f.tests_hypothesis = true;
  f.technology_and_data_implications = true;
  f.data_and_digital = true;
  f.organisational_scope = Scope::kLocal;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kExperimental) << Explain(s);
  EXPECT_THAT(s.classification.complexity, AnyOf(Complexity::kMedium, Complexity::kLow));
}

TEST_P(PaperExamplesTest, MachineTranslationPilotIsExperimental) {
  ChangeFacts f;
  // "piloting of machine translation for investigations".
  f.tests_hypothesis = true;
  f.technology_and_data_implications = true;
  f.data_and_digital = true;
  f.organisational_scope = Scope::kBusinessArea;
  f.clarity_of_aims = AimsClarity::kEvolving;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kExperimental) << Explain(s);
  EXPECT_THAT(s.classification.complexity, AnyOf(Complexity::kMedium, Complexity::kLow));
}

TEST_P(PaperExamplesTest, PrimarySchoolEngagementMaterialsAreExperimental) {
  ChangeFacts f;
  // "testing of new police engagement materials within primary schools":
  // pupils, teachers and parents; public-facing work with children.
  f.tests_hypothesis = true;
  f.organisational_scope = Scope::kLocal;
  f.impacted_stakeholder_groups = 3;
  f.public_or_political_interest = Interest::kMedium;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kExperimental) << Explain(s);
  EXPECT_THAT(s.classification.complexity, AnyOf(Complexity::kMedium, Complexity::kLow));
  EXPECT_THAT(s.classification.types, Contains(ComplexityType::kSocioPolitical));
}

// --- Incremental (3.13d) ---

TEST_P(PaperExamplesTest, UpdatingPoliciesAndSopsIsIncrementalLow) {
  ChangeFacts f;
  // "Local-led activities to improve the delivery of established services
  // ... (e.g. updating of policies and SOPs)".
  f.improves_established_service = true;
  f.organisational_scope = Scope::kLocal;
  f.clarity_of_aims = AimsClarity::kClear;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kIncremental) << Explain(s);
  EXPECT_EQ(s.classification.complexity, Complexity::kLow) << Explain(s);
  EXPECT_THAT(s.classification.types, IsEmpty());
  EXPECT_THAT(s.resourcing_demand, testing::HasSubstr("Minimal"));
}

// --- The six "medium complexity" examples of 3.16 ---

TEST_P(PaperExamplesTest, OrganisationalRestructuringIsMediumStructuralAndSocioPolitical) {
  ChangeFacts f;
  // "introducing a dedicated MPS unit within CPIC for policing encounters
  // governance, oversight & scrutiny ... merge existing Officer Safety,
  // Taser, Stop & Search, etc. teams into one centre of excellence".
  f.has_business_case = true;
  f.organisational_scope = Scope::kBusinessArea;
  f.teams = 4;  // Officer Safety, Taser, Stop & Search, "etc."
  // Stop and search and Taser use are matters of high public interest; the
  // unit exists for "governance, oversight & scrutiny".
  f.public_or_political_interest = Interest::kHigh;
  // The merged teams, frontline officers, the public.
  f.impacted_stakeholder_groups = 3;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kMandated) << Explain(s);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium) << Explain(s);
  EXPECT_THAT(s.classification.types,
              ElementsAre(ComplexityType::kStructural, ComplexityType::kSocioPolitical));
}

TEST_P(PaperExamplesTest, CommunityInputToRecruitTrainingIsMediumStructuralAndSocioPolitical) {
  ChangeFacts f;
  // "Incorporating direct community input into ... the training given to
  // new recruits across the service ... additional investment of c£1m per
  // year for three years".
  f.has_business_case = true;
  f.organisational_scope = Scope::kOrganisationWide;
  f.estimated_cost_gbp = 3'000'000;
  f.planned_duration_months = 36;
  // Communities, recruits, trainers.
  f.impacted_stakeholder_groups = 3;
  f.public_or_political_interest = Interest::kMedium;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium) << Explain(s);
  EXPECT_THAT(s.classification.types,
              ElementsAre(ComplexityType::kStructural, ComplexityType::kSocioPolitical));
}

TEST_P(PaperExamplesTest, ContractRenewalsAreMediumStructural) {
  ChangeFacts f;
  // "the renewal of our travel contract and renewal of our NUMS contract
  // within Met Operations": two procurements of established services.
  f.improves_established_service = true;
  f.has_business_case = true;
  f.organisational_scope = Scope::kBusinessArea;
  f.work_packages = 2;
  f.third_party_procurement = true;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kMandated) << Explain(s);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium) << Explain(s);
  EXPECT_THAT(s.classification.types, ElementsAre(ComplexityType::kStructural)) << Explain(s);
}

TEST_P(PaperExamplesTest, InclusiveLeadershipCampaignIsMediumSocioPolitical) {
  ChangeFacts f;
  // "Corporate campaigns - the delivery of our Leading for London inclusive
  // leadership programme": organisation-wide, culture change with aims that
  // develop as it runs.
  f.has_business_case = true;
  f.organisational_scope = Scope::kOrganisationWide;
  f.public_or_political_interest = Interest::kMedium;
  // Leaders, staff.
  f.impacted_stakeholder_groups = 2;
  f.clarity_of_aims = AimsClarity::kEvolving;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium) << Explain(s);
  EXPECT_THAT(s.classification.types, Contains(ComplexityType::kSocioPolitical)) << Explain(s);
}

TEST_P(PaperExamplesTest, ForensicTerminalProcurementIsMediumStructural) {
  ChangeFacts f;
  // "the procurement of an additional 24 EasyLift Terminals (forensics)
  // which have been developed by the Met".
  f.has_business_case = true;
  f.organisational_scope = Scope::kBusinessArea;
  f.third_party_procurement = true;
  f.technology_and_data_implications = true;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.tier, Tier::kMandated) << Explain(s);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium) << Explain(s);
  EXPECT_THAT(s.classification.types, ElementsAre(ComplexityType::kStructural)) << Explain(s);
}

TEST_P(PaperExamplesTest, CovidFixedPenaltyAppIsMediumStructuralAndSocioPolitical) {
  ChangeFacts f;
  // "the development and rollout of a Covid-19 FPN Application": a new
  // application for officers across the service, enforcing regulations
  // that changed often and drew public and political attention.
  f.has_business_case = true;
  f.organisational_scope = Scope::kOrganisationWide;
  f.technology_and_data_implications = true;
  f.data_and_digital = true;
  f.public_or_political_interest = Interest::kHigh;
  f.clarity_of_aims = AimsClarity::kEvolving;
  const Suggestion s = Classify(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium) << Explain(s);
  EXPECT_THAT(s.classification.types,
              ElementsAre(ComplexityType::kStructural, ComplexityType::kSocioPolitical))
      << Explain(s);
}

TEST_P(PaperExamplesTest, EverySuggestionRecordsRulesetIdAndVersion) {
  const Suggestion s = Classify(ChangeFacts{});
  EXPECT_EQ(s.ruleset_id, "differentiated-model");
  EXPECT_EQ(s.ruleset_version, GetParam());
  // Nothing stated: the default tier, explained as such.
  EXPECT_EQ(s.classification.tier, Tier::kMandated);
  EXPECT_EQ(s.classification.complexity, Complexity::kLow);
  ASSERT_EQ(s.fired_rules.size(), 1u);
  EXPECT_EQ(s.fired_rules[0].rule_id, "default-tier");
  EXPECT_TRUE(s.fired_rules[0].decisive);
}

}  // namespace
}  // namespace changeledger::classification
