"""``fsspeckit-tui remote list|add|remove|test``: manage saved remotes (named
locations with their storage options, used as ``NAME:path``) and check that one
can be listed.
"""

from __future__ import annotations

from .common import (
    EXIT_CODES,
    EXIT_CONNECT,
    EXIT_OK,
    PROG,
    add_command,
    err,
    out,
    parse_options,
    print_json,
)


def add_parser(sub) -> None:
    p = add_command(
        sub, "remote", logging_options=False, help="manage saved remotes (list, add, remove, test)",
        description="Saved remotes are named locations with their storage options, used as NAME:path "
                    "wherever a URL is. They live in $FSKIT_CONFIG, or "
                    "$XDG_CONFIG_HOME/fsspeckit/remotes.toml (~/.config/fsspeckit/remotes.toml). Secrets are "
                    "not stored: write key=env:VAR to read a value from the environment when the remote is "
                    "used, key=file:PATH to read it from a file, or rely on the backend's own credentials (profile=NAME, AWS_PROFILE, gcloud).",
        epilog="example:\n  fsspeckit-tui remote add prod-s3 s3://my-bucket --option region=eu-west-1 \\\n"
               "      --option key=env:PROD_KEY_ID --option secret=env:PROD_SECRET\n"
               "  fsspeckit-tui plan prod-s3:data/2024 ./out -o plan.json\n\n" + EXIT_CODES,
    )
    rsub = p.add_subparsers(dest="remote_command", metavar="ACTION", required=True)
    r = add_command(rsub, "list", help="list saved remotes",
                    description="List the saved remotes and where they are stored.")
    r.add_argument("--json", action="store_true", help="print as JSON")
    r.set_defaults(func=cmd_remote_list)
    r = add_command(rsub, "add", help="save a remote",
                    description="Save URL under NAME, with storage options.",
                    epilog="options: endpoint_url, profile, region, token (GCS: a path to a key file), anon, "
                           "requester_pays, ...; secret values (secret, password, session token, private key, a "
                           "password inside a URL) must be env:VAR or file:PATH references.")
    r.add_argument("name", metavar="NAME")
    r.add_argument("url", metavar="URL")
    r.add_argument("--option", action="append", default=[], metavar="K=V", help="storage option (repeatable)")
    r.add_argument("--replace", action="store_true", help="overwrite a remote of the same name")
    r.add_argument("--test", action="store_true", help="check the connection after saving")
    r.set_defaults(func=cmd_remote_add)
    r = add_command(rsub, "remove", help="delete a saved remote",
                    description="Delete the saved remote NAME (nothing on the store is touched).")
    r.add_argument("name", metavar="NAME")
    r.set_defaults(func=cmd_remote_remove)
    r = add_command(rsub, "test", help="check that a remote can be listed",
                    description="List the root of the remote NAME and say what failed, if anything: a missing "
                                "bucket, denied access, rejected credentials, an unreachable endpoint.",
                    epilog=EXIT_CODES)
    r.add_argument("name", metavar="NAME")
    r.add_argument("--json", action="store_true", help="print as JSON")
    r.set_defaults(func=cmd_remote_test)


def cmd_remote_list(args) -> int:
    from fsspeckit.remotes.profiles import config_path, list_remotes, mask_secrets

    remotes = list_remotes()
    if args.json:
        print_json({"config": str(config_path()), "remotes": [r.to_dict() for r in remotes]})
        return EXIT_OK
    if not remotes:
        out(f"No saved remotes ({config_path()} has none). Add one with: {PROG} remote add NAME URL")
        return EXIT_OK
    width = max(len(r.name) for r in remotes)
    for r in remotes:
        opts = ", ".join(f"{k}={v}" for k, v in mask_secrets(r.options).items())
        out(f"{r.name:<{width}}  {r.url}" + (f"  ({opts})" if opts else ""))
    out(f"({len(remotes)} remote{'s' if len(remotes) != 1 else ''} in {config_path()})")
    return EXIT_OK


def cmd_remote_add(args) -> int:
    from fsspeckit.remotes.profiles import add_remote, config_path

    remote = add_remote(args.name, args.url, parse_options(args.option), replace=args.replace)
    out(f"Saved remote {remote.name} -> {remote.url} in {config_path()}; use it as {remote.name}:path")
    return _test(remote.name, as_json=False) if args.test else EXIT_OK


def cmd_remote_remove(args) -> int:
    from fsspeckit.remotes.profiles import remove_remote

    remote = remove_remote(args.name)
    out(f"Removed remote {remote.name} ({remote.url}).")
    return EXIT_OK


def cmd_remote_test(args) -> int:
    from fsspeckit.remotes.profiles import get_remote

    get_remote(args.name)  # an unknown name is a usage error (exit 2)
    return _test(args.name, as_json=args.json)


def _test(name: str, *, as_json: bool) -> int:
    """List the remote's root; say what happened (stdout if it worked, stderr if not)."""
    from fsspeckit.remotes.profiles import test_remote

    ok, message = test_remote(name)
    if as_json:
        print_json({"name": name, "ok": ok, "message": message})
    elif ok:
        out(message)
    else:
        err(message)
    return EXIT_OK if ok else EXIT_CONNECT
