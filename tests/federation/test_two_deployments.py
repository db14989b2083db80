"""Two real deployments on loopback: a national one publishes, a central one harvests it.

Each deployment is its own set of processes with its own data directory and SQLite database
(``tests/federation/deployment.py``); they only meet through HTTP. The national server is killed
after the first page is committed, the harvest is left interrupted, the server comes back, the
harvest resumes from the saved token; then edits, deletions and an addition at the source reach
the central deployment through an incremental harvest."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

from tests.federation.deployment import HOST, Deployment

N = 1200  # three pages of 500


def test_harvest_between_two_deployments_survives_a_dead_source(tmp_path: Path) -> None:
    national = Deployment(tmp_path / "national")
    central = Deployment(tmp_path / "central")
    pause = tmp_path / "pause"
    pause.mkdir()
    harvest = None
    try:
        # Both deployments set up in parallel, each in its own process.
        setups = [
            national.spawn("setup", "national", "--records", str(N)),
            central.spawn("setup", "central", "--source", national.url),
        ]
        for process in setups:
            _, err = process.communicate(timeout=60)
            assert process.returncode == 0, err[-3000:]
        national.start()

        # (a) The source dies after the first page: the job is interrupted, nothing doubled.
        harvest = central.spawn("harvest", "--pause-dir", str(pause))
        deadline = time.monotonic() + 30
        while not (pause / "paused").exists():
            assert harvest.poll() is None, harvest.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the first page never came"
            time.sleep(0.02)
        state = central.run("dump")
        assert len(state["records"]) == 500
        assert state["jobs"] == [{"status": "running", "pages": 1, "token": True}]
        national.stop()
        (pause / "go").write_text("1")
        _, err = harvest.communicate(timeout=30)
        assert harvest.returncode == 0, err[-3000:]
        state = central.run("dump")
        # The second page may have been fetched (pipelined) before the server died.
        [job] = state["jobs"]
        assert job["status"] == "interrupted" and job["token"] and job["pages"] in (1, 2)
        assert len(state["records"]) == state["harvested"] == 500 * job["pages"]
        assert state["doubled"] == 0

        # (b) The source is back: the same job resumes from its token and completes.
        national.start()
        resumed = central.run("harvest")
        assert resumed["status"] == "done", resumed["error"]
        assert (resumed["pages"], resumed["created"], resumed["updated"]) == (3, N, 0)
        state = central.run("dump")
        assert state["jobs"] == [{"status": "done", "pages": 3, "token": False}]
        source = national.run("dump")["records"]
        assert state["records"] == source  # same uids, titles, no deletions
        assert len(state["records"]) == state["harvested"] == N
        assert state["doubled"] == 0

        # (c) Edit 3, delete 2, add 1 at the source; an incremental harvest converges.
        changes = national.run("edit", "--edit", "3", "--delete", "2", "--add", "1")
        incremental = central.run("harvest")
        assert incremental["status"] == "done", incremental["error"]
        assert incremental["from"]  # incremental, not full
        assert (incremental["created"], incremental["updated"], incremental["deleted"]) == (
            1,
            3,
            2,
        )
        assert incremental["unchanged"] == 0
        state = central.run("dump")
        source = national.run("dump")["records"]
        for uid in changes["edited"]:
            assert state["records"][uid]["title"]["en"] == f"Edited {uid}"
        for uid in changes["deleted"]:
            assert state["records"][uid]["deleted"]
        assert {uid for uid, r in state["records"].items() if not r["deleted"]} == {
            uid for uid, r in source.items() if not r["deleted"]
        }
        assert {uid: r["title"] for uid, r in state["records"].items() if not r["deleted"]} == {
            uid: r["title"] for uid, r in source.items() if not r["deleted"]
        }
        assert len(state["records"]) == state["harvested"] == N + 1
        assert state["doubled"] == 0
        assert [job["status"] for job in state["jobs"]] == ["done", "done"]

        # The central deployment's own /oai passes the deletions on as tombstones.
        central.start()
        for uid in changes["deleted"]:
            query = urlencode(
                {"verb": "GetRecord", "metadataPrefix": "cbd", "identifier": f"oai:{HOST}:{uid}"}
            )
            with urlopen(f"{central.url}?{query}", timeout=10) as response:
                assert b'status="deleted"' in response.read()
    finally:
        if harvest is not None and harvest.poll() is None:
            harvest.kill()
            harvest.communicate()
        national.stop()
        central.stop()


def test_two_schedulers_at_once_harvest_a_source_once(tmp_path: Path) -> None:
    """Two ``harvest --due`` processes started together (two cron hosts, or a slow run still
    going when the next minute comes): one harvests, the other leaves the source alone."""
    national = Deployment(tmp_path / "national")
    central = Deployment(tmp_path / "central")
    try:
        setups = [
            national.spawn("setup", "national", "--records", str(N)),
            central.spawn("setup", "central", "--source", national.url),
        ]
        for process in setups:
            _, err = process.communicate(timeout=60)
            assert process.returncode == 0, err[-3000:]
        national.start()
        schedulers = [central.spawn("due"), central.spawn("due")]
        outputs = []
        for process in schedulers:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-3000:]
            outputs.append(json.loads(out.strip().splitlines()[-1])["output"])
        ran = [text for text in outputs if "national: done, 3 pages" in text]
        assert len(ran) == 1, outputs
        state = central.run("dump")
        assert state["jobs"] == [{"status": "done", "pages": 3, "token": False}]
        assert len(state["records"]) == state["harvested"] == N
        assert state["doubled"] == 0
        # The next minute: nothing is due any more (next run one interval later).
        assert central.run("due")["output"] == ""
    finally:
        national.stop()
        central.stop()
