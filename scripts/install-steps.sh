# Sourced by scripts/install.sh and scripts/provision-engine.sh: the terminal gets progress lines only, with
# each step's time; everything the tools print (npm, go, apt-get, tsc) goes to one log file, named at the
# start. A step that fails shows the last lines of that log and what to do, and exits 3.
#
# PROMOTIONS_INSTALL_LOG: the log (default .promotions/install.log; a relative path is in the checkout). The first script of a run
# starts it afresh; the scripts it runs append to it.

# install_log_start PROJECT_DIR
install_log_start() {
    PROMOTIONS_INSTALL_LOG=${PROMOTIONS_INSTALL_LOG:-$1/.promotions/install.log}
    case $PROMOTIONS_INSTALL_LOG in
    /*) ;;
    *) PROMOTIONS_INSTALL_LOG="$1/$PROMOTIONS_INSTALL_LOG" ;; # the engine's build runs in another directory
    esac
    if [ "${PROMOTIONS_INSTALL_LOG_OPEN:-}" != 1 ]; then
        mkdir -p "$(dirname "$PROMOTIONS_INSTALL_LOG")"
        : >"$PROMOTIONS_INSTALL_LOG"
    fi
    PROMOTIONS_INSTALL_LOG_OPEN=1
    export PROMOTIONS_INSTALL_LOG PROMOTIONS_INSTALL_LOG_OPEN
}

# 75 → "1m 15s", 9 → "9s".
human_seconds() {
    if [ "$1" -ge 60 ]; then
        printf '%dm %02ds' $(($1 / 60)) $(($1 % 60))
    else
        printf '%ds' "$1"
    fi
}

# step_failed WHAT CODE SECONDS HINT: the log's last lines and what to do, on stderr; exits 3.
step_failed() {
    local what=$1 code=$2 took=$3 hint=$4
    {
        printf '\nerror: %s failed (exit %s, after %s). The last lines of %s:\n' \
            "$what" "$code" "$(human_seconds "$took")" "$PROMOTIONS_INSTALL_LOG"
        tail -n "${PROMOTIONS_INSTALL_TAIL:-25}" "$PROMOTIONS_INSTALL_LOG" | sed 's/^/    /'
        printf 'what to do: %s\n' "$hint"
        printf '(the whole log: %s)\n' "$PROMOTIONS_INSTALL_LOG"
    } >&2
    exit 3
}

# run_step TAG WHAT HINT COMMAND...: runs COMMAND with its output in the log; prints "TAG WHAT" before and
# "TAG WHAT: done (N s)" after, or fails the install with HINT.
run_step() {
    local tag=$1 what=$2 hint=$3
    shift 3
    local started=$SECONDS code=0
    printf '%s %s\n' "$tag" "$what"
    printf '\n=== %s %s: %s\n' "$tag" "$what" "$*" >>"$PROMOTIONS_INSTALL_LOG"
    "$@" >>"$PROMOTIONS_INSTALL_LOG" 2>&1 </dev/null || code=$?
    if [ "$code" -ne 0 ]; then
        step_failed "$what" "$code" $((SECONDS - started)) "$hint"
    fi
    printf '%s %s: done (%s)\n' "$tag" "$what" "$(human_seconds $((SECONDS - started)))"
}
