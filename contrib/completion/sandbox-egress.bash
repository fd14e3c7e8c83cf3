# bash completion for sandbox-egress.
_sandbox_egress() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  if [[ $COMP_CWORD -eq 1 ]]; then
    local cmds
    cmds=$(sandbox-egress --help 2>/dev/null | awk '/^Commands:/{on=1;next} on && NF{print $1}')
    COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
    return
  fi
  local sub=${COMP_WORDS[1]}
  local prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    --env-file|--file|--config|--audit-log)  # setup/start/restart --env-file, audit --file, serve
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --engine) COMPREPLY=($(compgen -W "builtin iron-proxy" -- "$cur")); return ;;
    --isolation) COMPREPLY=($(compgen -W "internal bridge" -- "$cur")); return ;;
    --tunnel-port|--bitwarden-project) return ;;  # a number / a project name or id
  esac
  if [[ $sub == audit && $COMP_CWORD -eq 2 ]]; then
    COMPREPLY=($(compgen -W "tail grep stats export --since --file" -- "$cur")); return
  fi
  local opts
  opts=$(sandbox-egress "$sub" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _sandbox_egress sandbox-egress
