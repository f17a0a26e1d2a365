# install.sh — make install as a site would do it, used as a cluster user would: a staging
# install (DESTDIR) has the whole layout and names PREFIX, never DESTDIR; then, installed
# into a temporary prefix and with a clean environment (PATH /usr/bin:/bin), `module load
# linreg_mpi` (Lmod) gives linreg_mpi --version, a manual page that renders and names the
# same options as --help, a training on the installed datasets, linreg-plot's PNGs and a
# linreg-scaling sweep; the installed train.sbatch and scaling.sbatch run under a local Slurm
# (scripts/slurm-local.sh) with the module's programs, while the source tree's train.sbatch
# keeps running the tree's own build; make uninstall leaves both prefixes empty.
# Lmod and man are test dependencies (scripts/install-deps.sh --tests). Where no local Slurm
# can run, the Slurm checks are skipped as in slurm.sh (a failure with LINREG_REQUIRE_SLURM
# or CI set).

# shellcheck disable=SC2015,SC2016,SC2030,SC2031,SC2317  # `checks && ok || not_ok` (ok always succeeds); $VARS for the module shell; counts from the subshell; the trap runs in_down
in_version=$("$ROOT/bin/linreg_mpi" --version 2>/dev/null | sed -n '1s/^linreg_mpi //p')
in_stage=$TMP/in_stage
in_make() { make -s --no-print-directory -C "$ROOT" "$@"; }

# the layout, staged: every file where it belongs, and nothing that names the staging directory
in_opt=/opt/linreg_mpi/$in_version
if in_make install PREFIX="$in_opt" DESTDIR="$in_stage" >"$TMP/in_make.log" 2>&1; then
    in_missing=""
    for in_f in bin/linreg_mpi bin/linreg-plot bin/linreg-scaling libexec/linreg_mpi/gen_data \
        share/linreg_mpi/slurm/train.sbatch share/linreg_mpi/slurm/scaling.sbatch \
        share/linreg_mpi/datasets/trees.csv share/linreg_mpi/datasets/README.md \
        share/doc/linreg_mpi/README.md share/doc/linreg_mpi/docs/loss.png \
        share/man/man1/linreg_mpi.1 "share/linreg_mpi/modulefiles/linreg_mpi/$in_version.lua"; do
        [ -f "$in_stage$in_opt/$in_f" ] || in_missing+=" $in_f"
    done
    for in_f in bin/linreg_mpi bin/linreg-plot bin/linreg-scaling libexec/linreg_mpi/gen_data; do
        [ -x "$in_stage$in_opt/$in_f" ] || in_missing+=" $in_f(not executable)"
    done
    [ -z "$in_missing" ] && ! grep -rqF "$in_stage" "$in_stage" &&
        grep -qxF "local prefix = \"$in_opt\"" "$in_stage$in_opt/share/linreg_mpi/modulefiles/linreg_mpi/$in_version.lua" &&
        ok "make install DESTDIR=... PREFIX=$in_opt: the layout; the modulefile names PREFIX, nothing names DESTDIR" ||
        not_ok "staged install layout" "missing:${in_missing:-} $(grep -rlF "$in_stage" "$in_stage" | head -3)"
    in_make uninstall PREFIX="$in_opt" DESTDIR="$in_stage" >>"$TMP/in_make.log" 2>&1 &&
        [ ! -e "$in_stage$in_opt" ] &&
        ok "make uninstall DESTDIR=...: the prefix install created is gone" ||
        not_ok "staged uninstall" "$(find "$in_stage$in_opt" 2>&1 | head -5 | tr '\n' ' ')"
else
    not_ok "make install into a staging directory" "$(tail -3 "$TMP/in_make.log")"
fi

# the real thing, in a versioned prefix that exists beforehand (so it stays, empty, at the end)
PFX=$TMP/apps/linreg_mpi/$in_version
mkdir -p "$PFX"
in_make install PREFIX="$PFX" >"$TMP/in_make.log" 2>&1 || not_ok "make install PREFIX=$PFX" "$(tail -3 "$TMP/in_make.log")"
IN_DATA=$PFX/share/linreg_mpi/datasets
IN_LMOD=/etc/profile.d/lmod.sh   # what a login shell sources

# um SCRIPT: SCRIPT in a bash with a clean environment (PATH /usr/bin:/bin, no LINREG_*;
# the names in IN_ENV added) after `module load linreg_mpi` of the installed modulefiles
IN_ENV=()
um() {
    env -i HOME="$TMP" USER="$(id -un)" PATH=/usr/bin:/bin LC_ALL=C TERM=dumb \
        OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
        ${IN_ENV[@]+"${IN_ENV[@]}"} bash --noprofile --norc -c \
        ". $IN_LMOD && module use $PFX/share/linreg_mpi/modulefiles && module load linreg_mpi && $1"
}

if [ ! -r "$IN_LMOD" ]; then
    not_ok "Lmod is installed ($IN_LMOD)" "scripts/install-deps.sh --tests installs it (Debian's lmod)"
else
    # the module: PATH, MANPATH, LINREG_MPI_HOME; no linreg_mpi on the clean PATH before
    in_env=$(um 'echo "home=$LINREG_MPI_HOME"; echo "bin=$(command -v linreg_mpi)"; echo "man=$(man -w linreg_mpi)"' 2>&1)
    in_before=$(env -i PATH=/usr/bin:/bin bash --noprofile --norc -c 'command -v linreg_mpi' || true)
    [ -z "$in_before" ] && grep -qxF "home=$PFX" <<<"$in_env" && grep -qxF "bin=$PFX/bin/linreg_mpi" <<<"$in_env" &&
        grep -qxF "man=$PFX/share/man/man1/linreg_mpi.1" <<<"$in_env" &&
        ok "module load linreg_mpi/$in_version: linreg_mpi on PATH, man finds the page (MANPATH), LINREG_MPI_HOME" ||
        not_ok "module load linreg_mpi" "before: '$in_before'; after: $(tr '\n' ' ' <<<"$in_env")"

    # --version without mpirun (a singleton): version, both Open MPIs, the build flags; exit 0
    in_rc=0
    um 'linreg_mpi --version' >"$TMP/in_version" 2>"$TMP/in_version_err" || in_rc=$?
    [ "$in_rc" = 0 ] && grep -qx "linreg_mpi $in_version" "$TMP/in_version" &&
        grep -qE '^built against: Open MPI [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/in_version" &&
        grep -qE '^running with: +Open MPI v[0-9]' "$TMP/in_version" &&
        grep -qE '^build flags: +ARCH=.* OPT=' "$TMP/in_version" && [ ! -s "$TMP/in_version_err" ] &&
        ok "linreg_mpi --version (no mpirun): $(sed -n '2p;4p' "$TMP/in_version" | tr -s ' ' | paste -sd';')" ||
        not_ok "linreg_mpi --version" "exit $in_rc: $(cat "$TMP/in_version" "$TMP/in_version_err" | head -5 | tr '\n' '|')"

    # the manual page: renders without warnings, the usual sections in order, the version
    IN_MAN=$PFX/share/man/man1/linreg_mpi.1
    in_rc=0
    MANWIDTH=80 man --warnings -l "$IN_MAN" >"$TMP/in_man.txt" 2>"$TMP/in_man_err" || in_rc=$?
    in_sections=$(grep -E '^[A-Z][A-Z ]+$' "$TMP/in_man.txt" | paste -sd,)
    [ "$in_rc" = 0 ] && [ ! -s "$TMP/in_man_err" ] &&
        [ "$in_sections" = "NAME,SYNOPSIS,DESCRIPTION,COMMANDS,OPTIONS,EXIT STATUS,ENVIRONMENT,FILES,EXAMPLES,SEE ALSO" ] &&
        grep -q "linreg_mpi $in_version" "$TMP/in_man.txt" &&
        ok "man -l linreg_mpi.1: renders without warnings; NAME ... SEE ALSO; version $in_version" ||
        not_ok "man -l linreg_mpi.1" "exit $in_rc, sections '$in_sections': $(head -3 "$TMP/in_man_err")"

    # the man page and --help name the same options and commands. --help's options begin a
    # line or follow '; '; the man page's are the .TP entries of OPTIONS (and of COMMANDS)
    um 'linreg_mpi --help' >"$TMP/in_help.txt" 2>&1
    grep -oE '(^|;) +--[a-z][a-z0-9-]*' "$TMP/in_help.txt" | grep -oE -- '--[a-z0-9-]+' | sort -u >"$TMP/in_help_opts"
    # man_entries SECTION: the first word of each .TP entry of SECTION, its \- as -
    man_entries() {
        awk -v s="$1" '/^\.SH / { sec = $2 } sec == s && prev == ".TP" { print } { prev = $0 }' "$IN_MAN" |
            sed 's/^\.[A-Z]* *//; s/\\-/-/g; s/[ "\\].*//' | sort -u
    }
    man_entries OPTIONS >"$TMP/in_man_opts"
    in_diff=$(comm -3 "$TMP/in_help_opts" "$TMP/in_man_opts" | sed 's/^\t/man page only: /; /^man/! s/^/--help only: /')
    [ -s "$TMP/in_help_opts" ] && [ -z "$in_diff" ] &&
        ok "man page OPTIONS and --help: the same $(wc -l <"$TMP/in_help_opts") options" ||
        not_ok "man page OPTIONS and --help name the same options" "$(tr '\n' ';' <<<"$in_diff")"
    grep -E '^(Usage:)? +mpirun -n P linreg_mpi' "$TMP/in_help.txt" | sed -E 's/.*linreg_mpi \[?([a-z]+).*/\1/' |
        sort -u >"$TMP/in_help_cmds"
    man_entries COMMANDS >"$TMP/in_man_cmds"
    [ -s "$TMP/in_help_cmds" ] && cmp -s "$TMP/in_help_cmds" "$TMP/in_man_cmds" &&
        ok "man page COMMANDS and --help: $(paste -sd' ' "$TMP/in_help_cmds")" ||
        not_ok "man page COMMANDS and --help" "help: $(paste -sd' ' "$TMP/in_help_cmds"); man: $(paste -sd' ' "$TMP/in_man_cmds")"

    # a training on the installed datasets under mpirun: the model of the source tree's build
    lr 2 1 --quiet --validation-split 0.25 --model-out "$TMP/in_ref.json" "$ROOT/datasets/trees.csv"
    in_rc=0
    um "cd $TMP && mpirun -n 2 linreg_mpi --quiet --validation-split 0.25 --log in_log.csv --model-out in_model.json \$LINREG_MPI_HOME/share/linreg_mpi/datasets/trees.csv &&
        mpirun -n 2 linreg_mpi predict --model in_model.json --output in_pred.csv $IN_DATA/trees.csv &&
        mpirun -n 2 linreg_mpi --quiet --features Girth --model-out in_girth.json $IN_DATA/trees.csv" \
        >"$TMP/in_train.log" 2>&1 || in_rc=$?
    model_values "$TMP/in_model.json" >"$TMP/in_got.txt" 2>/dev/null
    model_values "$TMP/in_ref.json" >"$TMP/in_want.txt"
    in_why=$(values_close "$TMP/in_got.txt" "$TMP/in_want.txt" 1e-12 2>&1) && [ "$in_rc" = 0 ] &&
        [ -s "$TMP/in_pred.csv" ] && [ -s "$TMP/in_girth.json" ] &&
        ok "mpirun -n 2 linreg_mpi on \$LINREG_MPI_HOME/share/linreg_mpi/datasets/trees.csv: the source build's model; predict" ||
        not_ok "training on the installed datasets" "exit $in_rc: $in_why $(tail -3 "$TMP/in_train.log" | tr '\n' '|')"

    # png_sig FILE: a PNG's 8-byte signature in hex
    png_sig() { head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n'; }
    in_rc=0
    um "cd $TMP && linreg-plot --log in_log.csv --predictions in_pred.csv --model in_girth.json --data $IN_DATA/trees.csv --out in_plots" \
        >"$TMP/in_plot.log" 2>&1 || in_rc=$?
    in_bad=""
    for in_png in loss pred_vs_actual fit; do
        [ "$(png_sig "$TMP/in_plots/$in_png.png")" = 89504e470d0a1a0a ] || in_bad+=" $in_png.png"
    done
    [ "$in_rc" = 0 ] && [ -z "$in_bad" ] && ok "linreg-plot: loss.png, pred_vs_actual.png, fit.png" ||
        not_ok "linreg-plot" "exit $in_rc, bad:$in_bad; $(tail -3 "$TMP/in_plot.log" | tr '\n' '|')"

    # linreg-scaling finds linreg_mpi and its data generator (libexec) from its own place
    in_rc=0
    um "cd $TMP && timeout 120 linreg-scaling --max-ranks 2 --reps 1 --rows 4000 --features 3 --epochs 5 --launcher mpirun --oversubscribe --out in_scaling" \
        >"$TMP/in_scaling.log" 2>&1 || in_rc=$?
    [ "$in_rc" = 0 ] && [ "$(tail -n +2 "$TMP/in_scaling/scaling.csv" 2>/dev/null | wc -l)" = 4 ] &&
        ok "linreg-scaling: data from its libexec generator, strong and weak for 1 and 2 ranks in scaling.csv" ||
        not_ok "linreg-scaling" "exit $in_rc: $(tail -3 "$TMP/in_scaling.log" | tr '\n' '|')"

    # Slurm: the installed sbatch scripts with the module's programs (in a subshell whose EXIT
    # trap brings this test's Slurm down whatever happens; counts handed back in a file)
    rm -f "$TMP/in_sl_counts"
    (
        PASS=0 FAIL=0
        IN_SL=$(mktemp -d "${TMPDIR:-/tmp}/linreg-slurm-install.XXXXXX")
        in_port=$((20000 + RANDOM % 30000))   # a Slurm already running here keeps its ports
        while (exec 3<>"/dev/tcp/127.0.0.1/$in_port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((in_port + 1))") 2>/dev/null; do
            in_port=$((20000 + RANDOM % 30000))
        done
        IN_SL_ENV=(LINREG_SLURM_DIR="$IN_SL" LINREG_SLURMCTLD_PORT="$in_port" LINREG_SLURMD_PORT=$((in_port + 1))
            SLURM_CONF="$IN_SL/slurm.conf")
        in_down() { env "${IN_SL_ENV[@]}" "$ROOT/scripts/slurm-local.sh" down >/dev/null 2>&1; rm -rf "$IN_SL"; }
        trap in_down EXIT
        trap 'exit 130' INT TERM HUP
        in_up=0
        env "${IN_SL_ENV[@]}" "$ROOT/scripts/slurm-local.sh" up >"$TMP/in_sl_up.log" 2>&1 || in_up=$?
        if [ "$in_up" = 77 ]; then
            slurm_unavailable "$TMP/in_sl_up.log" "installed sbatch scripts under Slurm"
        elif [ "$in_up" != 0 ]; then
            not_ok "local Slurm comes up" "$(tail -n 3 "$TMP/in_sl_up.log" | tr '\n' '|')"
        else
            IN_ENV=("${IN_SL_ENV[@]}" LINREG_OUT="$TMP/in_runs")
            # in_sbatch SBATCH_OPTIONS_AND_ARGUMENTS: submit with the module loaded and wait for
            # the end; prints the job id, exits with the job's exit code
            in_sbatch() {
                um "timeout 120 sbatch --wait --parsable --chdir=$TMP --output=$TMP/in-sl-%j.out --nodes=1 --cpus-per-task=1 --time=5 $1"
            }
            lr 2 1 --quiet --model-out "$TMP/in_ref_trees.json" "$ROOT/datasets/trees.csv"
            model_values "$TMP/in_ref_trees.json" >"$TMP/in_want.txt"

            in_rc=0
            in_job=$(in_sbatch "--ntasks-per-node=2 \$LINREG_MPI_HOME/share/linreg_mpi/slurm/train.sbatch $IN_DATA/trees.csv --quiet" 2>"$TMP/in_sl_err") || in_rc=$?
            in_job=$(tail -n 1 <<<"$in_job")
            model_values "$TMP/in_runs/$in_job/model.json" >"$TMP/in_got.txt" 2>/dev/null
            in_why=$(values_close "$TMP/in_got.txt" "$TMP/in_want.txt" 1e-10 2>&1) && [ "$in_rc" = 0 ] &&
                [ "$(cat "$TMP/in_runs/$in_job/status" 2>/dev/null)" = completed ] &&
                grep -q "^command srun .* $PFX/bin/linreg_mpi " "$TMP/in_runs/$in_job/job.txt" &&
                ok "installed train.sbatch, no LINREG_BIN: the module's linreg_mpi under srun, completed, the mpirun model" ||
                not_ok "installed train.sbatch" "job '$in_job' exit $in_rc: $in_why $(head -c 300 "$TMP/in_sl_err") $(tail -n 3 "$TMP/in-sl-$in_job.out" 2>/dev/null | tr '\n' '|')"

            # the source tree's train.sbatch, module loaded all the same: the tree's own build
            in_rc=0
            in_job=$(in_sbatch "--ntasks-per-node=1 $ROOT/slurm/train.sbatch $IN_DATA/trees.csv --quiet" 2>"$TMP/in_sl_err") || in_rc=$?
            in_job=$(tail -n 1 <<<"$in_job")
            [ "$in_rc" = 0 ] && grep -q "^command srun .* $ROOT/bin/linreg_mpi " "$TMP/in_runs/$in_job/job.txt" &&
                ok "the source tree's train.sbatch, module loaded, no LINREG_BIN: the tree's bin/linreg_mpi" ||
                not_ok "source tree train.sbatch picks its own build" "job '$in_job' exit $in_rc: $(grep '^command' "$TMP/in_runs/$in_job/job.txt" 2>/dev/null) $(head -c 300 "$TMP/in_sl_err")"

            # the installed scaling.sbatch, submitted from a directory that is no source tree
            in_rc=0
            in_job=$(in_sbatch "--ntasks-per-node=1 --no-requeue \$LINREG_MPI_HOME/share/linreg_mpi/slurm/scaling.sbatch --rows 4000 --features 3 --reps 1 --epochs 5" 2>"$TMP/in_sl_err") || in_rc=$?
            in_job=$(tail -n 1 <<<"$in_job")
            [ "$in_rc" = 0 ] && [ -s "$TMP/in_runs/scaling-$in_job/scaling.csv" ] &&
                ok "installed scaling.sbatch: linreg-scaling from the module ran its steps, scaling.csv written" ||
                not_ok "installed scaling.sbatch" "job '$in_job' exit $in_rc: $(head -c 300 "$TMP/in_sl_err") $(tail -n 3 "$TMP/in-sl-$in_job.out" 2>/dev/null | tr '\n' '|')"
        fi
        echo "$PASS $FAIL" >"$TMP/in_sl_counts"
    )
    add_counts "$TMP/in_sl_counts" "install: the Slurm checks stopped before their end (Slurm was brought down)"
fi

# make uninstall: the prefix is left empty
in_make uninstall PREFIX="$PFX" >"$TMP/in_make.log" 2>&1 && [ -d "$PFX" ] && [ -z "$(ls -A "$PFX")" ] &&
    ok "make uninstall PREFIX=...: the prefix is empty" ||
    not_ok "make uninstall" "$(tail -2 "$TMP/in_make.log" | tr '\n' '|') left: $(find "$PFX" -mindepth 1 2>/dev/null | head -5 | tr '\n' ' ')"
