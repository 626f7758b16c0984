#!/usr/bin/env bash
# Loads the EXAMPLE portfolio into a running changeledger through its public
# API, with changectl, as a user would:
#   1. the named programmes, projects and experiments of the paper and its six
#      "medium complexity" examples (returns/example-named-2021-05-12.json);
#   2. the synthetic baseline of 300 changes (returns/example-baseline-2021-05-12.csv);
#   3. front-door proposals in every state: draft, submitted, under
#      assessment, approved, rejected, deferred, returned, withdrawn.
# Everything here is example data, not real change.
#
# Both returns stand as of 12 May 2021 (the JSON file says so in its as_of,
# the CSV through --as-of), the date of the paper's baseline data.
#
# Idempotent: imports use fixed return references and every command a fixed
# --request-id, so a second run creates nothing new.
#
# Usage: examples/load.sh            (changectl: $CHANGECTL, else build/default/bin/changectl;
#                                     connection: $CHANGECTL_CONFIG or .run/changectl.yaml)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ctl=${CHANGECTL:-$here/../build/default/bin/changectl}
if [ ! -x "$ctl" ]; then
  echo "load.sh: changectl not found at $ctl (build first, or set CHANGECTL)" >&2
  exit 1
fi
run() { "$ctl" "$@"; }

echo "example: importing the named programmes and the medium-complexity examples"
run import "$here/returns/example-named-2021-05-12.json"
echo "example: importing the synthetic baseline"
run import "$here/returns/example-baseline-2021-05-12.csv" --as-of 2021-05-12

# propose KEY TARGET_STATE AREA TITLE [create flags...]: drafts a proposal and
# takes it through the front door to TARGET_STATE.
propose() {
  local key=$1 target=$2 area=$3 title=$4
  shift 4
  local name
  name=$(run -o name proposals create --request-id "example-$key" --area "$area" --title "$title" "$@")
  [ "$target" = draft ] && { echo "  $target: $title ($name)"; return; }
  run -o name proposals submit "$name" --request-id "example-$key-submit" >/dev/null
  case $target in
    submitted) ;;
    withdrawn)
      run -o name proposals withdraw "$name" --request-id "example-$key-withdraw" \
        --reason "Merged into the policing encounters unit (example)" >/dev/null ;;
    *)
      run -o name proposals start-assessment "$name" --request-id "example-$key-start" >/dev/null
      run -o name proposals assess "$name" --request-id "example-$key-assess" \
        --desirable 4 --desirable-why "Supports Met Direction priorities (example)" \
        --deliverable 3 --deliverable-why "Needs scarce data engineering capacity (example)" \
        --affordable 3 --affordable-why "Within the business area's budget (example)" >/dev/null
      if [ "$target" != under_assessment ]; then
        local outcome=${target}
        run -o name proposals decide "$name" --request-id "example-$key-decide" \
          --outcome "$outcome" --meeting-date "$(date -u +%F)" --chair "DAC Corporate Services" \
          --rationale "Front door decision (example)" >/dev/null
      fi ;;
  esac
  echo "  $target: $title ($name)"
}

echo "example: front-door proposals in every state"
complete=(--sponsor "Commander (example)" --start 2021-07-01 --end 2022-03-31)
propose draft draft MO "Body-worn video auto-redaction" --tests-hypothesis yes \
  --data-and-digital yes --technology-and-data yes
propose submitted submitted FP "Drone support for missing person searches" "${complete[@]}" \
  --description "Pilot drones to speed up searches for high-risk missing people." --cost 180000 \
  --tests-hypothesis yes --aims evolving --public-interest medium --data-and-digital yes
propose under-assessment under_assessment MO "Digital case file for the CPS" "${complete[@]}" \
  --description "Build case files digitally and share them with the CPS." --cost 2400000 \
  --business-case yes --technology-and-data yes --data-and-digital yes --work-packages 3 \
  --team "Criminal Justice" --team "Digital Policing" --scope business_area
propose approved approved CS "Frontline innovation fund" "${complete[@]}" \
  --description "Seed funding for small frontline innovations with minimal governance (Table 1)." \
  --cost 500000 --business-case yes --scope organisation_wide --aims evolving \
  --team "Strategy and Transformation"
propose rejected rejected CS "Replace the intranet search engine" "${complete[@]}" \
  --description "A new search engine for the intranet." --cost 750000 --business-case yes \
  --technology-and-data yes --procurement yes --data-and-digital yes
propose deferred deferred CS "Consolidate two training centres" "${complete[@]}" \
  --description "Move training from two sites into one." --cost 6500000 --business-case yes \
  --procurement yes --stakeholder-groups 4 --scope cross_business_area
propose returned returned MO "Chatbot for 101 non-emergency contact" "${complete[@]}" \
  --description "Answer common 101 questions online." --cost 300000 --tests-hypothesis yes \
  --data-and-digital yes --technology-and-data yes --public-interest medium --aims unclear
propose withdrawn withdrawn PS "Stand-alone Taser refresher app" "${complete[@]}" \
  --description "A mobile app for Taser refresher training." --cost 90000 \
  --data-and-digital yes --technology-and-data yes

echo "example: loaded"
