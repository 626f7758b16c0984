#!/usr/bin/env python3
"""EXAMPLE DATA generator: a synthetic change baseline for changeledger.

Writes returns/example-baseline-2021-05-12.csv, a returns file of a few
hundred changes across the business areas, shaped like the findings of the
March 2021 baseline in "Transforming the Met" (MOPAC Oversight Board, 25 June
2021, 3.15): MANDATED is the most common tier (no pyramid); complexity grows
with tier (transformational only high or medium, mandated mostly medium,
experimental medium or low); much of the change is data and digital.

Every record is invented. Deterministic: a fixed seed, standard library only.
Run:  python3 examples/generate_baseline.py   (rewrites the committed file)
"""

import csv
import io
import os
import random

SEED = 20210512
RETURN_DATE = "2021-05-12"

AREAS = {
    # code: (weight, teams)
    "MO": (30, ["MetCC", "Met Detention", "Forensic Services", "Digital Policing",
                "Met Intelligence", "Criminal Justice"]),
    "FP": (26, ["Central North BCU", "South West BCU", "Emergency Response",
                "Neighbourhood Policing", "Public Protection"]),
    "SO": (12, ["Counter Terrorism Policing", "Protection Command", "Security Command"]),
    "PS": (8, ["Directorate of Professional Standards", "Inclusion and Diversity",
               "Continuous Policing Improvement Command"]),
    "CS": (16, ["Digital Policing", "Commercial Services", "Property Services",
                "Finance", "Strategy and Transformation"]),
    "PEOPLE": (5, ["Learning and Development", "HR Operations", "Recruitment"]),
    "DMC": (2, ["Media and Communication"]),
    "DLS": (1, ["Legal Services"]),
}

SUBJECTS = {
    "data": ["crime records data quality", "intelligence data sharing", "custody records",
             "digital evidence management", "case file preparation", "stop and search data",
             "missing persons reporting", "domestic abuse risk assessment",
             "vehicle recovery tracking", "firearms licensing", "property and exhibits",
             "roster and duty planning", "witness care contact", "online crime reporting",
             "body-worn video footage", "ANPR data retention", "forensic submissions",
             "call handling triage", "disclosure management", "performance dashboards"],
    "other": ["custody healthcare provision", "neighbourhood engagement",
              "officer wellbeing support", "uniform and kit supply", "estate consolidation",
              "learning pathways for new detectives", "victim care standards",
              "public order training", "recruitment assessment centre",
              "front counter services", "fleet maintenance", "volunteer police cadets"],
}

TRANSFORM_NAMES = ["Investigation and Prosecution", "Optimising Contact and Response",
                   "Digital Public Contact", "Estates Transformation", "Forensics Futures",
                   "Integrated Offender Management", "Intelligence Transformation",
                   "Front Line Mobility", "Custody Transformation", "Workforce Futures",
                   "Emergency Services Network", "Data Office"]

EXPERIMENT_VERBS = ["Proof of concept:", "Pilot:", "Trial:", "Experiment:"]
MANDATED_VERBS = ["Replacement of", "Upgrade of", "New service for", "Improvement of",
                  "Re-procurement of", "Consolidation of", "Automation of"]
INCREMENTAL_VERBS = ["Update SOP for", "Refresh guidance on", "Revise policy on",
                     "Local process improvement:", "Streamline"]

COLUMNS = ["record_reference", "title", "description", "business_area", "sponsor", "teams",
           "data_and_digital", "estimated_cost", "planned_start", "planned_end", "status",
           "interdependent_projects", "sro_led", "has_business_case", "tests_hypothesis",
           "improves_established_service", "organisational_scope", "work_packages",
           "technology_and_data_implications", "third_party_procurement",
           "public_or_political_interest", "impacted_stakeholder_groups", "clarity_of_aims"]


def yes(b):
    return "yes" if b else "no"


def pick_area(rng):
    codes = list(AREAS)
    return rng.choices(codes, weights=[AREAS[c][0] for c in codes])[0]


def dates(rng, min_months, max_months, years=(2019, 2020, 2020, 2021, 2021)):
    year = rng.choice(years)
    month = rng.randint(1, 12)
    if (year, month) > (2021, 5):
        year, month = 2021, rng.randint(1, 5)
    length = rng.randint(min_months, max_months)
    end_total = year * 12 + (month - 1) + length
    return (f"{year:04d}-{month:02d}-01",
            f"{end_total // 12:04d}-{end_total % 12 + 1:02d}-28")


def cost(rng, low, high):
    # Log-uniform between low and high pounds, rounded to £1,000.
    value = low * (high / low) ** rng.random()
    return f"{round(value, -3):.2f}"


def record(rng, tier, n):
    area = rng.choice(["MO", "FP", "CS", "SO"]) if tier == "transformational" else pick_area(rng)
    teams_pool = AREAS[area][1]
    r = {c: "" for c in COLUMNS}
    r["record_reference"] = f"EX-{n:04d}"
    r["business_area"] = area
    r["status"] = rng.choice(["in_delivery", "in_delivery", "registered"])
    r["interdependent_projects"] = "no"
    r["sro_led"] = "no"
    r["has_business_case"] = "no"
    r["tests_hypothesis"] = "no"
    r["improves_established_service"] = "no"
    r["third_party_procurement"] = "no"
    if tier == "transformational":
        dd = rng.random() < 0.9
        name = TRANSFORM_NAMES[(n - 1) % len(TRANSFORM_NAMES)]
        r["title"] = f"{name} programme"
        r["description"] = f"Example data. SRO-led programme of interdependent projects: {name.lower()}."
        r["sponsor"] = f"Assistant Commissioner, {area}"
        pool = [t for t in teams_pool if t != "Strategy and Transformation"]
        r["teams"] = "; ".join(rng.sample(pool, min(len(pool), 3)) + ["Strategy and Transformation"])
        high = rng.random() < 0.65
        r["estimated_cost"] = cost(rng, 12e6, 80e6) if high else cost(rng, 2e6, 9e6)
        r["organisational_scope"] = "organisation_wide" if high else "cross_business_area"
        r["work_packages"] = str(rng.randint(5, 12) if high else rng.randint(3, 5))
        r["interdependent_projects"] = r["sro_led"] = r["has_business_case"] = "yes"
        r["technology_and_data_implications"] = yes(dd)
        if high:
            r["third_party_procurement"] = yes(rng.random() < 0.6)
            r["public_or_political_interest"] = rng.choice(["medium", "high"])
            r["impacted_stakeholder_groups"] = str(rng.randint(4, 10))
        else:  # a smaller programme: medium complexity
            r["teams"] = "; ".join(rng.sample(pool, 1) + ["Strategy and Transformation"])
            r["public_or_political_interest"] = "low"
            r["impacted_stakeholder_groups"] = str(rng.randint(1, 2))
        r["clarity_of_aims"] = rng.choice(["clear", "evolving"])
        r["planned_start"], r["planned_end"] = dates(rng, 30, 60)
    elif tier == "mandated":
        dd = rng.random() < 0.55
        subject = rng.choice(SUBJECTS["data" if dd else "other"])
        r["title"] = f"{rng.choice(MANDATED_VERBS)} {subject}"
        r["description"] = f"Example data. Business-led project with an agreed mandate and business case: {subject}."
        r["sponsor"] = f"Commander, {area}"
        r["teams"] = "; ".join(rng.sample(teams_pool, rng.randint(1, min(3, len(teams_pool)))))
        # Mostly medium (3.15): about a quarter low, three in five medium, the
        # rest high.
        band = rng.choices(["low", "medium", "high"], weights=[25, 62, 13])[0]
        r["has_business_case"] = "yes"
        r["organisational_scope"] = "business_area"
        r["technology_and_data_implications"] = yes(dd)
        if band == "low":
            r["estimated_cost"] = cost(rng, 40e3, 400e3)
            r["work_packages"] = "1"
            r["public_or_political_interest"] = rng.choice(["none", "low"])
            r["impacted_stakeholder_groups"] = str(rng.randint(1, 2))
            r["teams"] = teams_pool[0]
        elif band == "medium":
            # Medium complexity is structural (cost, work packages,
            # procurement), socio-political (interest, stakeholders) or both
            # (3.15); a project of either kind has what makes it so, and
            # only one team or two (merging three or more is a structural
            # change of its own). Drawn independently, these features left
            # one medium project in five with none of it (low complexity)
            # or with all of it (high).
            kind = rng.choices(["structural", "socio-political", "both"], weights=[45, 20, 35])[0]
            structural = kind != "socio-political"
            socio_political = kind != "structural"
            r["teams"] = "; ".join(rng.sample(teams_pool, rng.randint(1, min(2, len(teams_pool)))))
            if structural:
                r["estimated_cost"] = cost(rng, 1e6, 6e6)
                r["work_packages"] = str(rng.randint(2, 4))
                # A procurement on top of a stakeholder-facing project would
                # make it high: only the purely structural ones procure.
                r["third_party_procurement"] = yes(kind == "structural" and rng.random() < 0.5)
            else:
                r["estimated_cost"] = cost(rng, 300e3, 900e3)
                r["work_packages"] = "1"
            if socio_political:
                r["public_or_political_interest"] = "medium"
                r["impacted_stakeholder_groups"] = str(rng.randint(3, 5))
            else:
                r["public_or_political_interest"] = rng.choice(["none", "low"])
                r["impacted_stakeholder_groups"] = str(rng.randint(1, 2))
        else:
            r["estimated_cost"] = cost(rng, 10e6, 30e6)
            r["work_packages"] = str(rng.randint(5, 8))
            r["third_party_procurement"] = "yes"
            r["organisational_scope"] = "cross_business_area"
            r["public_or_political_interest"] = "high"
            r["impacted_stakeholder_groups"] = str(rng.randint(3, 8))
        r["clarity_of_aims"] = rng.choice(["clear", "clear", "evolving"])
        r["planned_start"], r["planned_end"] = dates(rng, 6, 30)
    elif tier == "experimental":
        dd = rng.random() < 0.7
        subject = rng.choice(SUBJECTS["data" if dd else "other"])
        r["title"] = f"{rng.choice(EXPERIMENT_VERBS)} {subject}"
        r["description"] = f"Example data. Tests the hypothesis that a new approach to {subject} works at scale."
        r["sponsor"] = f"Superintendent, {area}"
        r["teams"] = rng.choice(teams_pool)
        r["tests_hypothesis"] = "yes"
        r["organisational_scope"] = rng.choice(["local", "business_area"])
        r["technology_and_data_implications"] = yes(dd)
        medium = rng.random() < 0.55
        r["estimated_cost"] = cost(rng, 20e3, 250e3)
        r["work_packages"] = "1"
        r["clarity_of_aims"] = "evolving" if medium else "clear"
        r["public_or_political_interest"] = rng.choice(["low", "medium"] if medium else ["none", "low"])
        r["impacted_stakeholder_groups"] = str(rng.randint(1, 3))
        r["planned_start"], r["planned_end"] = dates(rng, 6, 15, years=(2020, 2021, 2021))
    else:  # incremental
        dd = rng.random() < 0.25
        subject = rng.choice(SUBJECTS["data" if dd else "other"])
        r["title"] = f"{rng.choice(INCREMENTAL_VERBS)} {subject}"
        r["description"] = f"Example data. Local improvement to an established service: {subject}."
        r["sponsor"] = f"Chief Inspector, {area}"
        r["teams"] = rng.choice(teams_pool)
        r["improves_established_service"] = "yes"
        r["organisational_scope"] = "local"
        r["technology_and_data_implications"] = yes(dd)
        r["estimated_cost"] = cost(rng, 2e3, 60e3) if rng.random() < 0.6 else ""
        r["work_packages"] = "1"
        r["public_or_political_interest"] = "none"
        r["impacted_stakeholder_groups"] = str(rng.randint(1, 2))
        r["clarity_of_aims"] = "clear"
        r["planned_start"], r["planned_end"] = dates(rng, 3, 12, years=(2020, 2021, 2021))
    r["data_and_digital"] = yes(dd)
    return r


def main():
    rng = random.Random(SEED)
    tiers = (["transformational"] * 12 + ["mandated"] * 150 + ["experimental"] * 64 +
             ["incremental"] * 74)
    rng.shuffle(tiers)
    out = io.StringIO()
    out.write("# EXAMPLE DATA - invented for the changeledger example portfolio; not real change.\n")
    out.write(f"# Synthetic change baseline, data returns as of {RETURN_DATE}; "
              f"generated by examples/generate_baseline.py (seed {SEED}).\n")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for n, tier in enumerate(tiers, start=1):
        writer.writerow(record(rng, tier, n))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "returns",
                        f"example-baseline-{RETURN_DATE}.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(out.getvalue())
    print(f"wrote {path}: {len(tiers)} records")


if __name__ == "__main__":
    main()
