"""Generate the bundled GH Archive sample: made-up but schema-true events, byte for byte repeatable.

The events follow GH Archive's shape (``id``, ``type``, ``actor``, ``repo``, ``payload``,
``public``, ``created_at``, ``org``) for a handful of invented repositories and people, with a
skew towards a few busy repositories and contributors so per-repo and top-contributor reports
have something to show. Issues and pull requests are tracked across events: they are opened,
commented on, reviewed, closed and merged in order.

Run it again after changing it:

.. code-block:: shell

    python -m dlt_sources.gharchive.make_sample            # rewrites dlt_sources/gharchive/sample
    python -m dlt_sources.gharchive.make_sample --out /tmp/sample
"""

import argparse
import gzip
import io
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from .helpers import hour_file_name
from .settings import SAMPLE_DAYS, SAMPLE_DIR, SAMPLE_FIRST_DAY, SAMPLE_SEED

__all__ = ["generate_sample", "sample_events"]

_API = "https://api.github.com"
_WEB = "https://github.com"

# (id, owner/name, weight, description, language)
_REPOS = [
    (731201554, "acme-data/pipelines", 8, "Batch and streaming pipelines for Acme", "Python"),
    (731201987, "acme-data/dashboards", 4, "Dashboards on top of the Acme warehouse", "TypeScript"),
    (612334001, "orbit-labs/orbit", 6, "A tiny orbital mechanics engine", "Rust"),
    (612334777, "orbit-labs/orbit-docs", 2, "Documentation site for orbit", "MDX"),
    (598001234, "jdoe/dotfiles", 1, "My dotfiles", "Shell"),
]
_ORGS = {"acme-data": 150001234, "orbit-labs": 150004321}

# (id, login, display name, weight, type)
_ACTORS = [
    (10400001, "alice-dev", "Alice Ng", 10, "User"),
    (10400002, "bkowalski", "Bartek Kowalski", 7, "User"),
    (10400003, "chen-wei", "Chen Wei", 6, "User"),
    (10400004, "dara-o", "Dara O'Neill", 4, "User"),
    (10400005, "emeka", "Emeka Obi", 3, "User"),
    (10400006, "farah-k", "Farah Khan", 3, "User"),
    (10400007, "gsilva", "Gabriel Silva", 2, "User"),
    (10400008, "hana-m", "Hana Mori", 2, "User"),
    (10400009, "ivan-p", "Ivan Petrov", 1, "User"),
    (10400010, "jdoe", "Jane Doe", 2, "User"),
    (49699333, "dependabot[bot]", "dependabot[bot]", 3, "Bot"),
    (41898282, "github-actions[bot]", "github-actions[bot]", 2, "Bot"),
]

_EVENT_WEIGHTS = {
    "PushEvent": 30,
    "WatchEvent": 12,
    "IssueCommentEvent": 12,
    "PullRequestEvent": 10,
    "IssuesEvent": 10,
    "CreateEvent": 7,
    "PullRequestReviewEvent": 6,
    "DeleteEvent": 4,
    "ForkEvent": 3,
}
_BOT_EVENTS = ("PushEvent", "PullRequestEvent", "CreateEvent", "DeleteEvent")

_TOPICS = [
    "retry logic",
    "the loader",
    "CI cache",
    "schema drift",
    "docs build",
    "the CLI",
    "timezone handling",
    "pagination",
    "memory use",
    "the README",
    "error messages",
]
_ISSUE_TITLES = [
    "{} fails on empty input",
    "Improve {}",
    "Flaky test around {}",
    "Document {}",
    "Crash in {} after upgrade",
    "Support for {} on Windows",
]
_COMMIT_MESSAGES = [
    "Fix {}",
    "Refactor {}",
    "Add tests for {}",
    "Tidy up {}",
    "Speed up {}",
    "Handle edge case in {}",
]
_COMMENTS = [
    "Thanks, I can reproduce this.",
    "Could you share the full traceback?",
    "Fixed in the latest main, please try again.",
    "+1, seeing the same here.",
    "I'd be happy to pick this up.",
    "Closing as duplicate.",
]
_LABELS = [
    ("bug", "d73a4a"),
    ("enhancement", "a2eeef"),
    ("documentation", "0075ca"),
    ("good first issue", "7057ff"),
]
_BUMPS = [
    ("requests", "2.31.0", "2.32.3"),
    ("pydantic", "2.5.2", "2.5.3"),
    ("eslint", "8.55.0", "8.56.0"),
    ("serde", "1.0.193", "1.0.195"),
]


@dataclass
class _Issue:
    number: int
    id: int
    title: str
    body: str
    author: tuple[Any, ...]
    created_at: str
    labels: list[tuple[str, str]]
    state: str = "open"
    closed_at: Optional[str] = None
    comments: int = 0


@dataclass
class _PullRequest:
    number: int
    id: int
    title: str
    body: str
    author: tuple[Any, ...]
    created_at: str
    branch: str
    head_sha: str
    base_sha: str
    commits: int
    additions: int
    deletions: int
    changed_files: int
    state: str = "open"
    closed_at: Optional[str] = None
    merged: bool = False
    comments: int = 0


@dataclass
class _Repo:
    id: int
    name: str
    description: str
    language: str
    head: str
    next_number: int = 1
    issues: list[_Issue] = field(default_factory=list)
    pulls: list[_PullRequest] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    merged_branches: list[str] = field(default_factory=list)
    tags: int = 0


class _Generator:
    """All randomness flows through one seeded `random.Random`, consumed in a fixed order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.event_id = 34_420_000_000
        self.object_id = 1_000_000
        self.repos = [
            _Repo(repo_id, name, description, language, self.sha())
            for repo_id, name, _, description, language in _REPOS
        ]
        self._payloads = {
            "PushEvent": self._push,
            "WatchEvent": self._watch,
            "ForkEvent": self._fork,
            "CreateEvent": self._create,
            "DeleteEvent": self._delete,
            "IssuesEvent": self._issues,
            "IssueCommentEvent": self._issue_comment,
            "PullRequestEvent": self._pull_request,
            "PullRequestReviewEvent": self._pull_request_review,
        }

    # identifiers

    def sha(self) -> str:
        return f"{self.rng.getrandbits(160):040x}"

    def next_event_id(self) -> str:
        self.event_id += self.rng.randint(1_000, 60_000)
        return str(self.event_id)

    def next_object_id(self, base: int) -> int:
        self.object_id += self.rng.randint(1, 400)
        return base + self.object_id

    # one hour

    def hour(self, hour: datetime, day_factor: float) -> list[dict[str, Any]]:
        # quiet at night (UTC), busiest in the European afternoon / American morning
        busy = 1.5 + 6.0 * max(0.0, 1.0 - abs(hour.hour - 15) / 7.0)
        count = max(1, round(self.rng.uniform(0.6, 1.4) * busy * day_factor))
        seconds = sorted(self.rng.randrange(3600) for _ in range(count))
        return [self.event(hour + timedelta(seconds=s)) for s in seconds]

    def event(self, moment: datetime) -> dict[str, Any]:
        created_at = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        repo_index = self.rng.choices(range(len(_REPOS)), weights=[r[2] for r in _REPOS])[0]
        repo = self.repos[repo_index]
        actor = self.rng.choices(_ACTORS, weights=[a[3] for a in _ACTORS])[0]
        choices = _BOT_EVENTS if actor[4] == "Bot" else tuple(_EVENT_WEIGHTS)
        kind = self.rng.choices(choices, weights=[_EVENT_WEIGHTS[c] for c in choices])[0]
        kind, payload = self._payloads[kind](repo, actor, created_at)
        event: dict[str, Any] = {
            "id": self.next_event_id(),
            "type": kind,
            "actor": _actor(actor),
            "repo": {"id": repo.id, "name": repo.name, "url": f"{_API}/repos/{repo.name}"},
            "payload": payload,
            "public": True,
            "created_at": created_at,
        }
        owner = repo.name.split("/")[0]
        if owner in _ORGS:
            event["org"] = {
                "id": _ORGS[owner],
                "login": owner,
                "gravatar_id": "",
                "url": f"{_API}/orgs/{owner}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{_ORGS[owner]}?",
            }
        return event

    # event payloads: each returns (type, payload), falling back to another type when the
    # repository's state does not allow this one (no open issue to comment on, ...)

    def _push(self, repo: _Repo, actor: tuple[Any, ...], at: str) -> tuple[str, dict]:
        open_prs = [p for p in repo.pulls if p.state == "open"]
        on_branch = open_prs and self.rng.random() < 0.4
        pull = self.rng.choice(open_prs) if on_branch else None
        before = pull.head_sha if pull else repo.head
        commits = []
        for _ in range(self.rng.choice([1, 1, 1, 2, 2, 3, 5])):
            sha = self.sha()
            commits.append(
                {
                    "sha": sha,
                    "author": {"email": _email(actor), "name": actor[2]},
                    "message": self._commit_message(actor),
                    "distinct": True,
                    "url": f"{_API}/repos/{repo.name}/commits/{sha}",
                }
            )
        head = commits[-1]["sha"]
        if pull:
            pull.head_sha = head
            pull.commits += len(commits)
        else:
            repo.head = head
        return "PushEvent", {
            "repository_id": repo.id,
            "push_id": self.next_object_id(16_400_000_000),
            "size": len(commits),
            "distinct_size": len(commits),
            "ref": f"refs/heads/{pull.branch if pull else 'main'}",
            "head": head,
            "before": before,
            "commits": commits,
        }

    def _watch(self, repo: _Repo, actor: tuple[Any, ...], at: str) -> tuple[str, dict]:
        return "WatchEvent", {"action": "started"}

    def _fork(self, repo: _Repo, actor: tuple[Any, ...], at: str) -> tuple[str, dict]:
        fork_name = f"{actor[1]}/{repo.name.split('/')[1]}"
        return "ForkEvent", {
            "forkee": {
                "id": self.next_object_id(740_000_000),
                "node_id": f"R_kgDOK{self.rng.getrandbits(32):08x}",
                "name": repo.name.split("/")[1],
                "full_name": fork_name,
                "private": False,
                "owner": _user(actor),
                "html_url": f"{_WEB}/{fork_name}",
                "description": repo.description,
                "fork": True,
                "url": f"{_API}/repos/{fork_name}",
                "created_at": at,
                "updated_at": at,
                "pushed_at": at,
                "homepage": None,
                "size": 0,
                "stargazers_count": 0,
                "watchers_count": 0,
                "language": None,
                "forks_count": 0,
                "open_issues_count": 0,
                "default_branch": "main",
                "public": True,
            }
        }

    def _create(self, repo: _Repo, actor: tuple[Any, ...], at: str) -> tuple[str, dict]:
        if actor[4] != "Bot" and self.rng.random() < 0.15:
            repo.tags += 1
            ref, ref_type = f"v0.{repo.tags // 3}.{repo.tags % 3}", "tag"
        else:
            ref, ref_type = self._branch_name(actor), "branch"
            repo.branches.append(ref)
        return "CreateEvent", {
            "ref": ref,
            "ref_type": ref_type,
            "master_branch": "main",
            "description": repo.description,
            "pusher_type": "user",
        }

    def _delete(self, repo: _Repo, actor: tuple[Any, ...], at: str) -> tuple[str, dict]:
        if not repo.merged_branches:
            return self._create(repo, actor, at)
        ref = repo.merged_branches.pop(0)
        return "DeleteEvent", {"ref": ref, "ref_type": "branch", "pusher_type": "user"}

    def _issues(self, repo: _Repo, actor: tuple[Any, ...], at: str) -> tuple[str, dict]:
        open_issues = [i for i in repo.issues if i.state == "open"]
        if open_issues and self.rng.random() < 0.35:
            issue = self.rng.choice(open_issues)
            issue.state, issue.closed_at, action = "closed", at, "closed"
        else:
            topic = self.rng.choice(_TOPICS)
            issue = _Issue(
                number=self._next_number(repo),
                id=self.next_object_id(2_060_000_000),
                title=self.rng.choice(_ISSUE_TITLES).format(topic),
                body=f"Steps to reproduce: run the pipeline and look at {topic}.",
                author=actor,
                created_at=at,
                labels=[self.rng.choice(_LABELS)],
            )
            repo.issues.append(issue)
            action = "opened"
        return "IssuesEvent", {"action": action, "issue": self._issue(repo, issue, at)}

    def _issue_comment(self, repo: _Repo, actor: tuple[Any, ...], at: str) -> tuple[str, dict]:
        if not repo.issues:
            return self._issues(repo, actor, at)
        issue = self.rng.choice(repo.issues[-6:])
        issue.comments += 1
        comment_id = self.next_object_id(1_873_000_000)
        return "IssueCommentEvent", {
            "action": "created",
            "issue": self._issue(repo, issue, at),
            "comment": {
                "url": f"{_API}/repos/{repo.name}/issues/comments/{comment_id}",
                "html_url": f"{_WEB}/{repo.name}/issues/{issue.number}#issuecomment-{comment_id}",
                "issue_url": f"{_API}/repos/{repo.name}/issues/{issue.number}",
                "id": comment_id,
                "node_id": f"IC_kwDOK{comment_id:010d}",
                "user": _user(actor),
                "created_at": at,
                "updated_at": at,
                "author_association": _association(repo, actor),
                "body": self.rng.choice(_COMMENTS),
                "reactions": _reactions(repo, f"issues/comments/{comment_id}"),
                "performed_via_github_app": None,
            },
        }

    def _pull_request(self, repo: _Repo, actor: tuple[Any, ...], at: str) -> tuple[str, dict]:
        open_prs = [p for p in repo.pulls if p.state == "open"]
        if open_prs and self.rng.random() < 0.45:
            pull = self.rng.choice(open_prs)
            pull.state, pull.closed_at = "closed", at
            pull.merged = self.rng.random() < 0.8
            if pull.merged:
                repo.merged_branches.append(pull.branch)
                repo.head = self.sha()
            action = "closed"
        else:
            if actor[4] == "Bot":
                package, old, new = self.rng.choice(_BUMPS)
                title = f"Bump {package} from {old} to {new}"
                branch = f"dependabot/{package}-{new}"
            else:
                title = self.rng.choice(_COMMIT_MESSAGES).format(self.rng.choice(_TOPICS))
                branch = repo.branches.pop() if repo.branches else self._branch_name(actor)
            pull = _PullRequest(
                number=self._next_number(repo),
                id=self.next_object_id(1_660_000_000),
                title=title,
                body=f"{title}.\n\nTested locally.",
                author=actor,
                created_at=at,
                branch=branch,
                head_sha=self.sha(),
                base_sha=repo.head,
                commits=self.rng.randint(1, 4),
                additions=self.rng.randint(1, 400),
                deletions=self.rng.randint(0, 120),
                changed_files=self.rng.randint(1, 12),
            )
            repo.pulls.append(pull)
            action = "opened"
        payload = {
            "action": action,
            "number": pull.number,
            "pull_request": self._pull(repo, pull, at),
        }
        return "PullRequestEvent", payload

    def _pull_request_review(
        self, repo: _Repo, actor: tuple[Any, ...], at: str
    ) -> tuple[str, dict]:
        reviewable = [p for p in repo.pulls if p.state == "open" and p.author != actor]
        if not reviewable:
            return self._pull_request(repo, actor, at)
        pull = self.rng.choice(reviewable)
        review_id = self.next_object_id(1_800_000_000)
        state = self.rng.choice(["approved", "approved", "commented", "changes_requested"])
        return "PullRequestReviewEvent", {
            "action": "created",
            "review": {
                "id": review_id,
                "node_id": f"PRR_kwDOK{review_id:010d}",
                "user": _user(actor),
                "body": None if state == "approved" else "A few comments inline.",
                "commit_id": pull.head_sha,
                "submitted_at": at,
                "state": state,
                "html_url": f"{_WEB}/{repo.name}/pull/{pull.number}#pullrequestreview-{review_id}",
                "pull_request_url": f"{_API}/repos/{repo.name}/pulls/{pull.number}",
                "author_association": _association(repo, actor),
            },
            "pull_request": self._pull(repo, pull, at),
        }

    # objects embedded in payloads

    def _issue(self, repo: _Repo, issue: _Issue, at: str) -> dict[str, Any]:
        url = f"{_API}/repos/{repo.name}/issues/{issue.number}"
        return {
            "url": url,
            "repository_url": f"{_API}/repos/{repo.name}",
            "html_url": f"{_WEB}/{repo.name}/issues/{issue.number}",
            "id": issue.id,
            "node_id": f"I_kwDOK{issue.id:010d}",
            "number": issue.number,
            "title": issue.title,
            "user": _user(issue.author),
            "labels": [_label(repo, name, color) for name, color in issue.labels],
            "state": issue.state,
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": issue.comments,
            "created_at": issue.created_at,
            "updated_at": at,
            "closed_at": issue.closed_at,
            "author_association": _association(repo, issue.author),
            "active_lock_reason": None,
            "body": issue.body,
            "reactions": _reactions(repo, f"issues/{issue.number}"),
            "state_reason": "completed" if issue.state == "closed" else None,
        }

    def _pull(self, repo: _Repo, pull: _PullRequest, at: str) -> dict[str, Any]:
        owner = repo.name.split("/")[0]
        return {
            "url": f"{_API}/repos/{repo.name}/pulls/{pull.number}",
            "id": pull.id,
            "node_id": f"PR_kwDOK{pull.id:010d}",
            "html_url": f"{_WEB}/{repo.name}/pull/{pull.number}",
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": _user(pull.author),
            "body": pull.body,
            "created_at": pull.created_at,
            "updated_at": at,
            "closed_at": pull.closed_at,
            "merged_at": pull.closed_at if pull.merged else None,
            "merge_commit_sha": repo.head if pull.merged else None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "labels": [],
            "draft": False,
            "head": {"label": f"{owner}:{pull.branch}", "ref": pull.branch, "sha": pull.head_sha},
            "base": {"label": f"{owner}:main", "ref": "main", "sha": pull.base_sha},
            "author_association": _association(repo, pull.author),
            "merged": pull.merged,
            "comments": pull.comments,
            "review_comments": 0,
            "commits": pull.commits,
            "additions": pull.additions,
            "deletions": pull.deletions,
            "changed_files": pull.changed_files,
        }

    def _next_number(self, repo: _Repo) -> int:
        number = repo.next_number
        repo.next_number += 1
        return number

    def _branch_name(self, actor: tuple[Any, ...]) -> str:
        topic = self.rng.choice(_TOPICS).replace(" ", "-")
        return f"{actor[1]}/{topic}-{self.rng.randint(1, 99)}"

    def _commit_message(self, actor: tuple[Any, ...]) -> str:
        if actor[1] == "dependabot[bot]":
            package, old, new = self.rng.choice(_BUMPS)
            return f"Bump {package} from {old} to {new}"
        if actor[1] == "github-actions[bot]":
            return "Update generated files"
        return self.rng.choice(_COMMIT_MESSAGES).format(self.rng.choice(_TOPICS))


def _actor(actor: tuple[Any, ...]) -> dict[str, Any]:
    actor_id, login = actor[0], actor[1]
    return {
        "id": actor_id,
        "login": login,
        "display_login": login.removesuffix("[bot]"),
        "gravatar_id": "",
        "url": f"{_API}/users/{login}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{actor_id}?",
    }


def _user(actor: tuple[Any, ...]) -> dict[str, Any]:
    actor_id, login = actor[0], actor[1]
    return {
        "login": login,
        "id": actor_id,
        "avatar_url": f"https://avatars.githubusercontent.com/u/{actor_id}?v=4",
        "gravatar_id": "",
        "url": f"{_API}/users/{login}",
        "html_url": f"{_WEB}/{login}",
        "type": actor[4],
        "site_admin": False,
    }


def _email(actor: tuple[Any, ...]) -> str:
    return f"{actor[0]}+{actor[1]}@users.noreply.github.com"


def _association(repo: _Repo, actor: tuple[Any, ...]) -> str:
    owner = repo.name.split("/")[0]
    if actor[1] == owner:
        return "OWNER"
    if actor[4] == "Bot":
        return "CONTRIBUTOR"
    return "MEMBER" if owner in _ORGS and actor[0] % 3 != 0 else "CONTRIBUTOR"


def _label(repo: _Repo, name: str, color: str) -> dict[str, Any]:
    label_id = 6_100_000_000 + sum(map(ord, repo.name + name))
    return {
        "id": label_id,
        "url": f"{_API}/repos/{repo.name}/labels/{name.replace(' ', '%20')}",
        "name": name,
        "color": color,
        "default": name in ("bug", "enhancement", "documentation"),
    }


def _reactions(repo: _Repo, path: str) -> dict[str, Any]:
    counts = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")
    return {"url": f"{_API}/repos/{repo.name}/{path}/reactions", "total_count": 0} | dict.fromkeys(
        counts, 0
    )


def sample_events(
    first_day: date = SAMPLE_FIRST_DAY, days: int = SAMPLE_DAYS, seed: int = SAMPLE_SEED
) -> dict[datetime, list[dict[str, Any]]]:
    """Generate the sample's events, hour by hour (UTC), without writing anything.

    Every hour of every day gets at least one event, so a whole day loads without gaps.

    Args:
        first_day: First day of the sample.
        days: Number of days.
        seed: Seed for the random generator; the same arguments give the same events.

    Returns:
        Events per hour, each event's ``created_at`` inside its hour.

    Example:
        .. code-block:: python

            events = sample_events(days=1)
            sum(len(hour) for hour in events.values())
    """
    generator = _Generator(seed)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc)
    # a quiet New Year's Day, then ordinary weekdays
    day_factors = [0.6, 1.0, 1.1, 1.0]
    hours: dict[datetime, list[dict[str, Any]]] = {}
    for day in range(days):
        factor = day_factors[day % len(day_factors)]
        for hour_of_day in range(24):
            hour = start + timedelta(days=day, hours=hour_of_day)
            hours[hour] = generator.hour(hour, factor)
    return hours


def generate_sample(
    out_dir: str = SAMPLE_DIR,
    *,
    first_day: date = SAMPLE_FIRST_DAY,
    days: int = SAMPLE_DAYS,
    seed: int = SAMPLE_SEED,
) -> list[Path]:
    """Write the sample as GH Archive hourly files (``YYYY-MM-DD-H.json.gz``) into ``out_dir``.

    The gzip header carries no timestamp or file name, so the same arguments give the same bytes.

    Args:
        out_dir: Target directory, created if needed. Defaults to the bundled sample.
        first_day: First day of the sample.
        days: Number of days.
        seed: Seed for the random generator.

    Returns:
        The written files, in hour order.

    Example:
        .. code-block:: python

            generate_sample("/tmp/sample", days=1)
    """
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for hour, events in sample_events(first_day, days, seed).items():
        lines = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as archive:
            archive.write(lines.encode())
        path = target / hour_file_name(hour)
        path.write_bytes(buffer.getvalue())
        written.append(path)
    return written


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line entry point: ``python -m dlt_sources.gharchive.make_sample [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=SAMPLE_DIR, help="target directory (default: the bundled sample)"
    )
    parser.add_argument("--days", type=int, default=SAMPLE_DAYS)
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = parser.parse_args(argv)
    written = generate_sample(args.out, days=args.days, seed=args.seed)
    size = sum(path.stat().st_size for path in written)
    print(f"Wrote {len(written)} files ({size / 1024:.0f} KiB) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
