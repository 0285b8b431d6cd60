# bash completion for tlstap(8)                            -*- shell-script -*-
# The commands and each command's options are read from the --help of the
# tlstap being completed, so they are always the ones that binary has.
# Needs bash-completion (_init_completion, _pids, _filedir, _command_offset).

# _tlstap_help TLSTAP [COMMAND]: its help; sbin is not in every user's PATH.
_tlstap_help()
{
    local bin=$1
    shift
    [[ $bin == */* ]] || bin=$(PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin type -P "$bin") ||
        return 1
    "$bin" "$@" --help 2>/dev/null
}

# The commands of tlstap --help's Commands list.
_tlstap_commands()
{
    _tlstap_help "$1" | awk '/^Commands:$/ { on = 1; next }
        on && /^$/ { exit }
        on && /^  [a-z]/ { print $1 }' | sort -u
}

# "OPTION METAVAR" for each option of a help's lists (METAVAR - when none);
# --summary[=N] gives "--summary -" and "--summary= N".
_tlstap_options()
{
    awk '/^[A-Z][A-Za-z ]*:$/ { on = ($0 != "Commands:"); next }
        /^$/ { on = 0 }
        on && match($0, /^ +-/) && RLENGTH <= 9 {
            n = split($0, w, " ")
            opts = ""; arg = "-"
            for (i = 1; i <= n; i++) {
                t = w[i]
                if (t !~ /^-/) {
                    if (t ~ /^[A-Z][A-Z0-9_.]*$/) arg = t
                    break
                }
                sub(/,$/, "", t)
                opts = opts " " t
            }
            m = split(opts, o, " ")
            for (i = 1; i <= m; i++) {
                if (match(o[i], /\[=[A-Z0-9_]+\]$/)) {
                    print substr(o[i], 1, RSTART - 1), "-"
                    print substr(o[i], 1, RSTART - 1) "=", substr(o[i], RSTART + 2, RLENGTH - 3)
                } else
                    print o[i], arg
            }
        }'
}

_tlstap()
{
    local cur prev words cword split
    _init_completion -s || return

    local bin=${words[0]} cmd="" i help opts arg
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} != -* ]]; then
            cmd=${words[i]}
            break
        fi
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            opts=$(_tlstap_help "$bin" | _tlstap_options | awk '{ print $1 }')
            COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_tlstap_commands "$bin")" -- "$cur"))
        fi
        return
    fi

    # trace -- CMD [ARGS...]: complete the command line being started.
    for ((i = i + 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            _command_offset $((i + 1))
            return
        fi
    done

    help=$(_tlstap_help "$bin" "$cmd") || return
    opts=$(_tlstap_options <<<"$help")

    # The value of an option, by its metavariable.
    if [[ $prev == -* ]]; then
        arg=$(awk -v o="${prev}" '$1 == o { print $2; exit }' <<<"$opts")
        [[ $split == true && -z $arg ]] &&
            arg=$(awk -v o="${prev}=" '$1 == o { print $2; exit }' <<<"$opts")
        case $arg in
        "" | -) ;;
        PID | TRACER_PID) _pids; return ;;
        FILE | FILE.*) _filedir; return ;;
        DIR) _filedir -d; return ;;
        FMT) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
        *) return ;; # a number, a size, a version: nothing to offer
        esac
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(awk '{ print $1 }' <<<"$opts")" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
        return
    fi
    # Operands: files where the usage names a FILE (resolve, replay).
    if grep -q '^ *\(Usage: \)\?tlstap .* FILE' <<<"$help"; then
        _filedir
    fi
} &&
    complete -F _tlstap tlstap

# ex: filetype=sh
