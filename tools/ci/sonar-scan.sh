#!/usr/bin/env bash
# Sends the sources to SonarQube. In Jenkins it runs inside withSonarQubeEnv('sonarqube'), which supplies the server
# and token; locally export SONAR_HOST_URL and SONAR_TOKEN. Needs the SonarScanner CLI (`sonar-scanner`).
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

need sonar-scanner "install the SonarScanner CLI on the agent"
need_env SONAR_HOST_URL "run inside withSonarQubeEnv('sonarqube'), or export SONAR_HOST_URL and SONAR_TOKEN"

tests='**/*.spec.ts,apps/api-e2e/**,libs/testing/**,**/src/testing/**'
# Coverage of new code is a condition of SonarQube's default quality gate ("Sonar way"): without these reports
# it counts as 0 % and the gate fails. The Jenkinsfile's unit-test stage writes them (nx run-many -t test --coverage).
reports=$({ find coverage -name lcov.info 2>/dev/null || true; } | sort | paste -sd, -)
[[ -n $reports ]] || die "no coverage/**/lcov.info: run \`npx nx run-many -t test --coverage\` first"
say "coverage reports: $reports"
run sonar-scanner \
  -Dsonar.projectKey=shipyard \
  -Dsonar.projectVersion="$(image_tag)" \
  -Dsonar.sources=apps,libs \
  -Dsonar.tests=apps,libs \
  -Dsonar.exclusions="**/node_modules/**,$tests" \
  -Dsonar.test.inclusions="$tests" \
  -Dsonar.javascript.lcov.reportPaths="$reports"
