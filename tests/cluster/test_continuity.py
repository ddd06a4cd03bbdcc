"""The replicas share one conversation: a registration started on one Rasa replica continues on
the other (shared tracker store, Redis lock store), and is saved once in PostgreSQL."""
from __future__ import annotations

import secrets

import httpx
import pytest
from sqlalchemy import func, select

from db.tables import registrations
from tests.cluster.conftest import REF, Topology, answers_for

pytestmark = pytest.mark.stack


def test_a_registration_started_on_one_replica_continues_on_the_other(topology: Topology) -> None:
    sender = f"web:cluster-{secrets.token_hex(6)}"
    script = answers_for(f"139{secrets.randbelow(10**8):08d}")
    first, second = topology.cluster.rasa_urls
    said, replicas_used = "", []
    with httpx.Client(timeout=30.0) as http:
        message = "我要登记"
        for turn in range(30):
            url = (first, second)[turn % 2]  # every turn on the other replica
            answer = http.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
            assert answer.status_code == 200, answer.text
            said = "\n".join(m.get("text", "") for m in answer.json())
            replicas_used.append(url)
            if REF.search(said):
                break
            message = next((reply for asked, reply in script if asked in said), None)  # type: ignore[assignment]
            assert message is not None, f"turn {turn} on {url}: unexpected answer {said!r}"
        tracker = http.get(f"{second}/conversations/{sender}/tracker").json()
    match = REF.search(said)
    assert match is not None, said
    assert len(set(replicas_used)) == 2 and len(replicas_used) >= 16
    found = topology.ledger().find(sender)
    assert found is not None and found.ref == match.group(0)
    with topology.ledger().engine.begin() as conn:
        saved = conn.execute(select(func.count()).select_from(registrations).where(registrations.c.identity == sender)).scalar()
    assert saved == 1
    # both replicas wrote the one tracker: every user turn is in it, in order
    texts = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert texts[0] == "我要登记" and texts[-1] == "确认提交" and len(texts) == len(replicas_used)
