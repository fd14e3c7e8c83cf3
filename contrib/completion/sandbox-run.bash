# bash completion for sandbox-run (source it, or install into
# /usr/share/bash-completion/completions/sandbox-run).
_sandbox_run() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  # Options the launcher takes, read from its own --help so the list never drifts.
  local opts
  opts=$(sandbox-run --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  case "$prev" in
    --pull) COMPREPLY=($(compgen -W "missing always never" -- "$cur")); return ;;
    --env-file|-v|--volume) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --network|--net)
      COMPREPLY=($(compgen -W "$(docker network ls --format '{{.Name}}' 2>/dev/null)" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(docker images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null)" -- "$cur"))
  fi
}
complete -F _sandbox_run sandbox-run
