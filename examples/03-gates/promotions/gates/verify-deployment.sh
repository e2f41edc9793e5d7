#!/bin/sh
# Post-action: runs after the commit; COMMIT_SHA is the promotion commit.
echo "verifying $APP_NAME at $COMMIT_SHA: deployed"
