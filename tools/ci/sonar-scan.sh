#!/usr/bin/env bash
# Sends the sources to SonarQube. In Jenkins it runs inside withSonarQubeEnv('sonarqube'), which supplies the server
# and token; locally export SONAR_HOST_URL and SONAR_TOKEN. Needs the SonarScanner CLI (`sonar-scanner`).
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

need sonar-scanner "install the SonarScanner CLI on the agent"
need_env SONAR_HOST_URL "run inside withSonarQubeEnv('sonarqube'), or export SONAR_HOST_URL and SONAR_TOKEN"

tests='**/*.spec.ts,**/src/e2e/**'
run sonar-scanner \
  -Dsonar.projectKey=shipyard \
  -Dsonar.projectVersion="$(image_tag)" \
  -Dsonar.sources=apps,libs \
  -Dsonar.tests=apps,libs \
  -Dsonar.exclusions="**/node_modules/**,$tests" \
  -Dsonar.test.inclusions="$tests"
