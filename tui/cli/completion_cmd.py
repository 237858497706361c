"""``fsspeckit-tui completion bash|zsh|fish``: a shell completion script on stdout.

The scripts are written from the parser itself, so every command and option
the tool has is completed, and nothing it does not have. Install with, e.g.::

    fsspeckit-tui completion bash > ~/.local/share/bash-completion/completions/fsspeckit-tui
    fsspeckit-tui completion zsh > "${fpath[1]}/_fsspeckit-tui"
    fsspeckit-tui completion fish > ~/.config/fish/completions/fsspeckit-tui.fish
"""

from __future__ import annotations

import argparse

from .common import EXIT_OK, PROG, add_command, out

SHELLS = ("bash", "zsh", "fish")


def add_parser(sub) -> None:
    p = add_command(
        sub, "completion", logging_options=False,
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a completion script for SHELL on stdout. Install it with, e.g.:\n"
                    f"  {PROG} completion bash > ~/.local/share/bash-completion/completions/{PROG}\n"
                    f"  {PROG} completion zsh > \"${{fpath[1]}}/_{PROG}\"\n"
                    f"  {PROG} completion fish > ~/.config/fish/completions/{PROG}.fish",
    )
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.set_defaults(func=cmd_completion)


def command_options(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Each command's name -> its option strings (hidden ones left out), in the parser's order."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    table: dict[str, list[str]] = {}
    for name, command in sub.choices.items():
        table[name] = [s for a in command._actions if a.help != argparse.SUPPRESS
                       for s in a.option_strings]
    return table


def cmd_completion(args) -> int:
    table = command_options(args.root_parser)
    out({"bash": bash, "zsh": zsh, "fish": fish}[args.shell](table))
    return EXIT_OK


def bash(table: dict[str, list[str]]) -> str:
    cases = "\n".join(f"        {name}) opts=\"{' '.join(opts)}\" ;;" for name, opts in table.items())
    return f"""# bash completion for {PROG}
_fsspeckit_tui() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" cmd="${{COMP_WORDS[1]}}" opts
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "{' '.join(table)} --version --help" -- "$cur") $(compgen -f -- "$cur"))
        return
    fi
    case "$cmd" in
{cases}
        *) opts="" ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _fsspeckit_tui {PROG}"""


def zsh(table: dict[str, list[str]]) -> str:
    cases = "\n".join(f"    {name}) _arguments '*:file:_files' {' '.join(repr(o) for o in opts)} ;;"
                      for name, opts in table.items())
    return f"""#compdef {PROG}
# zsh completion for {PROG}
_fsspeckit_tui() {{
  if (( CURRENT == 2 )); then
    compadd -- {' '.join(table)} --version --help
    _files
    return
  fi
  case $words[2] in
{cases}
    *) _files ;;
  esac
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _fsspeckit_tui "$@"
else
  compdef _fsspeckit_tui {PROG}
fi"""


def fish(table: dict[str, list[str]]) -> str:
    lines = [f"# fish completion for {PROG}",
             f"complete -c {PROG} -n __fish_use_subcommand -l version -d 'print the version'"]
    for name in table:
        lines.append(f"complete -c {PROG} -n __fish_use_subcommand -a {name}")
    for name, opts in table.items():
        for opt in opts:
            flag = f"-l {opt[2:]}" if opt.startswith("--") else f"-s {opt[1:]}"
            lines.append(f"complete -c {PROG} -n '__fish_seen_subcommand_from {name}' {flag}")
    return "\n".join(lines)
