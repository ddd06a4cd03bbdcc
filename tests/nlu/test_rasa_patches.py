"""nlu/server/rasa_patches.py: the graph runner with each target set's graph built once gives what
Rasa's own runner gives, run after run, whatever the targets and inputs; calls to an endpoint
share one connection, which is closed before the server would drop it, and a server that went
away is reached again on a new one; an action server's reply gets Rasa's verdict and error."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, Iterator, List, Text, Tuple

import aiohttp
import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.utils.endpoints import EndpointConfig

from nlu.server import rasa_patches
from tests.conftest import free_port

RASAS_RUN = DaskGraphRunner.run


class Add(GraphComponent):
    """Adds what it is given, plus a constant of its own."""

    def __init__(self, constant: int) -> None:
        self.constant = constant

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "Add":
        return cls(config["constant"])

    def add(self, **numbers: int) -> int:
        return self.constant + sum(numbers.values())


def node(constant: int, **needs: Text) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Add, fn="add", constructor_name="create", config={"constant": constant})


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[DaskGraphRunner]:
    # a diamond with a shared dependency (Rasa walks it twice) and a branch only one target needs
    schema = GraphSchema({"base": node(1, x="__input__"), "left": node(10, b="base"), "right": node(100, b="base"),
                          "joined": node(1000, l="left", r="right"), "other": node(5, x="__input__")})
    yield DaskGraphRunner(schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "test"))


def run_both(runner: DaskGraphRunner, inputs: Dict[Text, Any], targets: List[Text]) -> Dict[Text, Any]:
    expected = RASAS_RUN(runner, inputs, targets)
    got = rasa_patches._run(runner, inputs, targets)
    assert got == expected
    return got


def test_same_results_as_rasas_runner_for_every_target_set_and_input(runner: DaskGraphRunner) -> None:
    assert run_both(runner, {"__input__": 2}, ["joined"]) == {"joined": 1000 + (10 + 3) + (100 + 3)}
    assert run_both(runner, {"__input__": 7}, ["joined"]) == {"joined": 1000 + 18 + 108}  # new inputs, cached graph
    assert run_both(runner, {"__input__": 7}, ["left", "other"]) == {"left": 18, "other": 12}
    assert run_both(runner, {"__input__": 0}, ["joined"]) == {"joined": 1112}


def test_each_target_set_builds_its_graph_once_with_only_what_it_needs(runner: DaskGraphRunner) -> None:
    for value in range(3):
        rasa_patches._run(runner, {"__input__": value}, ["other"])
        rasa_patches._run(runner, {"__input__": value}, ["left"])
    graphs = runner.__dict__[rasa_patches._GRAPHS]
    assert set(graphs) == {("other",), ("left",)} and set(graphs[("left",)]) == {"base", "left"}


# ---- one session per endpoint (calls to the action server) -------------------------------------

async def serve(port: int, keep_alive: float) -> Tuple[web.AppRunner, List[int]]:
    """A loopback HTTP server answering JSON, noting each request's client port (its connection)
    and closing idle connections after `keep_alive` seconds, as Sanic does after 5 s."""
    peers: List[int] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"events": [], "responses": [], "got": await request.json()})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app, keepalive_timeout=keep_alive)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, peers


async def close(endpoint: EndpointConfig) -> None:
    await endpoint.__dict__[rasa_patches._KEPT][1].close()


@pytest.fixture
def patched_sessions() -> Iterator[None]:
    rasas = EndpointConfig.session
    EndpointConfig.session = rasa_patches._session  # type: ignore[assignment]
    yield
    EndpointConfig.session = rasas  # type: ignore[assignment]


def test_action_calls_share_one_connection_until_it_idles(patched_sessions: None) -> None:
    port = free_port()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")

    async def scenario() -> List[int]:
        runner, peers = await serve(port, keep_alive=5.0)
        try:
            for n in range(5):
                assert (await endpoint.request(json={"n": n}))["got"] == {"n": n}
            await asyncio.sleep(rasa_patches.KEEP_ALIVE_SECONDS + 0.5)  # idle: the client closes it first
            assert (await endpoint.request(json={"n": 5}))["got"] == {"n": 5}
            return peers
        finally:
            await runner.cleanup()
            await close(endpoint)
    peers = asyncio.run(scenario())
    assert len(set(peers[:5])) == 1 and peers[5] != peers[0]


def test_a_restarted_action_server_is_reached_on_a_new_connection(patched_sessions: None) -> None:
    port = free_port()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")

    async def scenario() -> None:
        runner, _ = await serve(port, keep_alive=5.0)
        assert (await endpoint.request(json={"n": 1}))["got"] == {"n": 1}
        await runner.cleanup()  # gone: its connections closed, as the kernel closes a killed process's
        await asyncio.sleep(0.2)  # the client's loop sees them close before the next turn
        with pytest.raises(aiohttp.ClientConnectorError):  # down: refused, as without the patch
            await endpoint.request(json={"n": 2})
        runner, peers = await serve(port, keep_alive=5.0)
        try:
            assert (await endpoint.request(json={"n": 3}))["got"] == {"n": 3} and len(peers) == 1
        finally:
            await runner.cleanup()
            await close(endpoint)
    asyncio.run(scenario())


# ---- action-server replies checked against the alternative their event names -------------------

VALID_REPLIES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "timestamp": None, "name": "active_task", "value": "registration"},
                {"event": "bot", "text": "请告诉我您的手机号。", "data": {"buttons": []}, "metadata": {"source": "通知"}},
                {"event": "followup", "name": "action_listen"}, {"event": "reset_slots"}, {"event": "session_started"}],
     "responses": [{"text": "您好", "buttons": [{"title": "社保补贴", "payload": "/faq"}]}]},
    {"events": [{"event": "user", "text": "你好", "parse_data": {"intent": {"name": "greet", "confidence": 1.0},
                                                                  "entities": [], "intent_ranking": []}}]},
    {"responses": [{"custom": {"kind": "notice"}}]},
]
INVALID_REPLIES = [
    [],  # not an object
    {"events": {"event": "slot"}},  # events not a list
    {"events": ["slot"]},  # an event that is not an object
    {"events": [{"name": "x", "value": 1}]},  # no event name
    {"events": [{"event": "slot", "name": "x"}]},  # a slot without its value
    {"events": [{"event": "no_such_event"}]},  # a name no alternative has
    {"events": [{"event": "user", "parse_data": "greet"}]},  # parse_data not an object
    {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "yesterday"}]},  # common part broken
    {"responses": ["你好"]},  # a response that is not an object
]


@pytest.mark.parametrize("reply", VALID_REPLIES + INVALID_REPLIES)
def test_a_reply_gets_rasas_verdict(reply: Any) -> None:
    rasas = rasa_patches._action_reply_validators()[0]
    assert rasa_patches._reply_is_valid(reply) == rasas.is_valid(reply) == (reply in VALID_REPLIES)


@pytest.mark.parametrize("reply", INVALID_REPLIES)
def test_an_invalid_reply_fails_with_rasas_error(reply: Any) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        rasa_patches._validate_action_result(RemoteAction("action_x", None), reply)


def test_another_rasa_version_is_left_unpatched(caplog: pytest.LogCaptureFixture) -> None:
    """The patches replace Rasa 3.6.21's internals; under another version none is applied."""
    before = (RemoteAction._validate_action_result, DaskGraphRunner.run, EndpointConfig.session)
    with caplog.at_level("ERROR", logger=rasa_patches.__name__):
        assert rasa_patches.install("3.7.0") is False
    assert (RemoteAction._validate_action_result, DaskGraphRunner.run, EndpointConfig.session) == before
    assert "Rasa 3.7.0" in caplog.text and rasa_patches.WRITTEN_FOR in caplog.text
