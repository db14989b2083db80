"""A national portal pulls the reference records (not owned by a country: guidance, GBF
resources of the Secretariat…) from the central portal's /oai, set ``reference``, over HTTP."""

from __future__ import annotations

from io import StringIO
from typing import Any
from urllib.request import urlopen

import pytest
from django.core.management import call_command

from clearinghouse.federation.models import HarvestSource, JobStatus
from clearinghouse.portals.models import PortalKind
from clearinghouse.records.models import Record
from tests.factories import make_portal
from tests.federation.conftest import add_records

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_national_portal_pulls_reference_records_from_the_central_one(
    live_server: Any, settings: Any
) -> None:
    settings.CLEARINGHOUSE_OAI_PAGE_SIZE = 2
    central = make_portal("central", "", hosts=["localhost"], kind=PortalKind.CENTRAL)
    benin = make_portal("bj", "BJ", hosts=["bj.testserver"])
    reference = add_records(central, 3) + add_records(central, 1, schema="event")
    national_type = add_records(central, 1, schema="nationalTarget7")
    owned = add_records(central, 1)
    Record.objects.filter(pk=owned[0].pk).update(government="pe")  # Peru's, not reference
    add_records(benin, 2)  # Benin's own records are not touched
    url = f"http://localhost:{live_server.url.rsplit(':', 1)[1]}/oai"

    with urlopen(f"{url}?verb=ListSets", timeout=10) as response:
        assert b"<setSpec>reference</setSpec>" in response.read()

    out = StringIO()
    call_command(
        "harvest",
        add=url,
        portal="bj",
        set="reference",
        name="Central reference records",
        every="1d",
        stdout=out,
    )
    assert "every 1440 min" in out.getvalue()
    source = HarvestSource.objects.get(portal=benin)
    assert (source.set_spec, source.scheduled) == ("reference", True)
    job = source.jobs.get()
    assert (job.status, job.created, job.quarantined) == (JobStatus.DONE, 4, 0)
    copies = Record.objects.filter(portal=benin).exclude(uid__startswith="bj-")
    assert sorted(r.published.document["title"]["en"] for r in copies) == sorted(
        r.published.document["title"]["en"] for r in reference
    )
    assert {r.schema for r in copies} == {"resource", "event"}
    assert all(r.government == "" and r.is_public for r in copies)
    pulled = {r.published.document["header"]["identifier"] for r in copies}
    assert not pulled & {national_type[0].uid, owned[0].uid}
    assert Record.objects.filter(portal=benin, uid__startswith="bj-").count() == 2
