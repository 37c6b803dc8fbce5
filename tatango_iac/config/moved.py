"""``--changed-since REF`` after the configuration moved (``git mv tatango config``): compare with it at its
old location.

At REF the configuration's paths may not exist yet: every file would look new and every
list that left the configuration in the same pull request would go unnoticed (neither a
dropped protected list nor a dropped unprotected one reported). git's rename detection
between REF and the working tree says where the files came from; each configuration path
that received moved files is compared with the path they came from (a moved directory
maps to its old directory, a moved file to its old path), and the plan says so.
"""

from __future__ import annotations

from typing import Callable, Optional

Git = Callable[..., str]


def _under(path: str, root: str) -> bool:
    return root in (".", "") or path == root or path.startswith(root.rstrip("/") + "/")


def _renames(git: Git, ref: str, top: str) -> list[tuple[str, str]]:
    """(old, new) for every file git's rename detection sees moved between REF and the working tree."""
    raw = git("diff", "-M", "--raw", "--no-abbrev", "-z", ref, cwd=top)
    fields, out, i = raw.split("\0"), [], 0
    while i < len(fields):
        meta = fields[i]
        if not meta.startswith(":"):
            i += 1
            continue
        status = meta.split()[-1][:1]
        if status in "RC" and i + 2 < len(fields):
            if status == "R":
                out.append((fields[i + 1], fields[i + 2]))
            i += 3
        else:
            i += 2
    return out


def _old_root(root: str, renames: list[tuple[str, str]]) -> Optional[str]:
    """Where the files now under ``root`` were at REF, when they were moved there from one place."""
    olds = []
    for source, path in renames:
        if not _under(path, root) or _under(source, root):
            continue
        rest = path if root in (".", "") else path[len(root.rstrip("/")) + 1 :]
        olds.append(source[: -len(rest) - 1] if rest and source.endswith("/" + rest) else source)
    return max(set(olds), key=olds.count) if olds else None


def base_paths(git: Git, ref: str, relatives: list[str], top: str) -> list[str]:
    """The configuration paths as they were at REF: each moved one replaced by where its files came from."""
    renames = _renames(git, ref, top)
    out = []
    for relative in relatives:
        old = _old_root(relative, renames) if renames else None
        present = bool(git("ls-tree", "--name-only", ref, "--", relative, cwd=top).strip())
        out.append(old if old is not None and not present else relative)
    return out


def moved_note(ref: str, relatives: list[str], based: list[str]) -> Optional[str]:
    """The sentence a plan shows when the comparison used the configuration at its old location."""
    said = "; ".join(f"{now} was {then} at {ref}" for now, then in zip(relatives, based, strict=True) if now != then)
    if not said:
        return None
    return (
        f"--changed-since {ref}: the configuration moved since then (git's rename detection: {said}); "
        "it was compared with the configuration at its old location"
    )
