#!/usr/bin/env python3
"""Fails when a locked dependency declares a newer rust-version than the package that uses it.

For each workspace member, every package it builds on (normal and build dependencies, their whole
closure, plus its direct dev-dependencies from outside the workspace and their closure) must declare
a rust-version no newer than the member's own. Reads `cargo metadata --locked`, so it checks the
versions in Cargo.lock, without any other toolchain.
"""
import json
import subprocess
import sys


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in metadata["packages"]}
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
    members = set(metadata["workspace_members"])

    def kinds(dep):
        return {k["kind"] for k in dep["dep_kinds"]}

    def closure(start_ids):
        seen, todo = set(), list(start_ids)
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for dep in nodes[current]["deps"]:
                if kinds(dep) & {None, "build"}:
                    todo.append(dep["pkg"])
        return seen

    failures = []
    for member in sorted(members, key=lambda m: packages[m]["name"]):
        own = packages[member]["rust_version"]
        if own is None:
            failures.append(f"{packages[member]['name']}: no rust-version declared")
            continue
        starts = [member] + [
            d["pkg"]
            for d in nodes[member]["deps"]
            if "dev" in kinds(d) and d["pkg"] not in members
        ]
        for dep_id in sorted(closure(starts) - {member}):
            dep = packages[dep_id]
            needed = dep["rust_version"]
            if needed and version(needed) > version(own):
                failures.append(
                    f"{packages[member]['name']} declares rust-version {own}, "
                    f"but {dep['name']} {dep['version']} needs {needed}"
                )
        print(f"rust-version: {packages[member]['name']} {own}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
