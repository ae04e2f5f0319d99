"""Contract tests of the seam's uses of Dagster's definitions-state internals.

The component writes its definitions state after a run where ``dg utils refresh-defs-state``
would: the local state file, or a new version in the instance's defs state storage. Each test
states the assumption; a Dagster release that breaks one fails here, naming the version.
"""

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from dagster import DagsterInstance, Definitions
from dagster.components import (
    ComponentLoadContext,
    DefsStateConfig,
    DefsStateConfigArgs,
    StateBackedComponent,
)
from dagster.components.testing import create_defs_folder_sandbox

from dagster_dlt._seams import internals
from tests.support.contracts import contract as library_contract

contract = functools.partial(library_contract, library="dagster")


@dataclass
class _Written(StateBackedComponent):
    text: str = "stored"

    @property
    def defs_state_config(self) -> DefsStateConfig:
        return DefsStateConfig.from_args(DefsStateConfigArgs.local_filesystem(), "Written[x]")

    def write_state_to_path(self, state_path: Path) -> None:
        state_path.write_text(self.text)

    def build_defs_from_state(
        self, context: ComponentLoadContext, state_path: Optional[Path]
    ) -> Definitions:
        return Definitions()


def test_local_state_lives_where_refresh_writes_it():
    with create_defs_folder_sandbox() as sandbox, sandbox.build_component_tree():
        root = sandbox.project_root
        with contract(
            "StateBackedComponent.refresh_state writes LOCAL_FILESYSTEM state to "
            "get_local_state_path(key, project_root)"
        ):
            asyncio.run(_Written().refresh_state(root))
            assert Path(internals.local_defs_state_path("Written[x]", root)).read_text() == "stored"


def test_a_stored_version_is_the_latest_and_reads_back(tmp_path: Path):
    state = tmp_path / "state"
    state.write_text("v2")
    (tmp_path / "home").mkdir()
    with (
        DagsterInstance.local_temp(str(tmp_path / "home")) as instance,
        contract(
            "DagsterInstance.defs_state_storage exists, and upload_state_from_path makes the upload "
            "the key's latest version"
        ),
    ):
        version = internals.store_defs_state_version(instance, "Loads[x]", state)
        storage = instance.defs_state_storage
        assert storage.get_latest_version("Loads[x]") == version
        storage.download_state_to_path("Loads[x]", version, tmp_path / "back")
        assert (tmp_path / "back").read_text() == "v2"
    assert (
        internals.store_defs_state_version(DagsterInstance.ephemeral(), "Loads[x]", state) is None
    )
