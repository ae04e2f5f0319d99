"""Constants for the GH Archive source."""

from datetime import date
from pathlib import Path

GHARCHIVE_URL = "https://data.gharchive.org"
"""Where GH Archive publishes one gzip file of JSON lines per hour."""

SAMPLE_DIR = str(Path(__file__).parent / "sample")
"""The bundled, generated sample: same file names and event schema as GH Archive."""

SAMPLE_FIRST_DAY = date(2024, 1, 1)
SAMPLE_DAYS = 4
SAMPLE_SEED = 20240101
"""`make_sample` regenerates the bundled sample byte for byte from these."""

BATCH_SIZE = 1000
"""Events handed to dlt at once; real hours hold ~200k events, so never a whole file."""

EVENT_TYPES = (
    "CommitCommentEvent",
    "CreateEvent",
    "DeleteEvent",
    "ForkEvent",
    "GollumEvent",
    "IssueCommentEvent",
    "IssuesEvent",
    "MemberEvent",
    "PublicEvent",
    "PullRequestEvent",
    "PullRequestReviewCommentEvent",
    "PullRequestReviewEvent",
    "PullRequestReviewThreadEvent",
    "PushEvent",
    "ReleaseEvent",
    "SponsorshipEvent",
    "WatchEvent",
)
"""The event types GitHub documents for its Events API; each gets a resource of its own. Any other
type (GH Archive also holds retired ones such as ``GistEvent``) goes to ``other_events``."""
