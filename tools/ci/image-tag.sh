#!/usr/bin/env bash
# Prints the image tag of the checked-out commit: <apps/api version>-<short commit>.
# shellcheck source=tools/ci/lib.sh
source "$(dirname "$0")/lib.sh"
image_tag
