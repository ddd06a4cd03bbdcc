"""Speed-ups for Rasa 3.6 that change nothing it computes; `python -m nlu.server.serve` applies them.

1. Model loading. Rasa rebuilds each model at load time by *training it on one example* through `model.fit`, which
traces and compiles the whole training graph (about 20 s per component on 2 cores), only to throw
the result away when the saved weights are loaded. Creating the variables with one eager forward
pass of the same loss builds the same weights without tracing; the saved weights are then loaded
as before and prediction is traced once, exactly as Rasa does. Fine-tuning keeps Rasa's own path.

2. Action-server replies. Rasa checks each reply with `jsonschema.validate(reply, schema)`, which
re-validates the schema itself against the JSON-Schema meta-schema on every call: about 40 % of a
turn's time under load. The schema never changes, so its validator is built once. Each event is then
checked against the one alternative of the schema's `oneOf` that its `event` name selects (the
alternatives differ by that name), instead of against all twenty-odd of them; a reply that fails
is checked as Rasa checks it, so the verdict and the error are Rasa's.

3. Tracker reads. The in-memory tracker store rebuilds every event of a conversation on every
turn, and finds each event's class by walking all Event subclasses; a name -> class table built
from the same walk does that lookup at once (unknown names still take Rasa's own path).

4. Graph runs. Every parse and every prediction asks the graph runner for the part of the graph
its targets need; Rasa works that out again on each run, walking each dependency as often as it is
needed (3-4 % of a turn). The part depends only on the targets, so it is built once per set of
targets and copied for each run, which then adds its own inputs as before.

5. Calls to the action server. Rasa opens a new HTTP session, and so a new connection, for every
action it runs (4-5 % of a turn, and the action server accepts a connection per action). Each
endpoint keeps one session instead, whose idle connections close after 2 s: before the action
server's own keep-alive (Sanic's 5 s) ends them, so a connection is never reused just as the
server drops it. A connection broken otherwise (the action server killed) is not reused either.

Each patch replaces a Rasa internal as Rasa 3.6.21 wrote it (WRITTEN_FOR). Under any other
version nothing is patched: Rasa runs as it is, slower, and the log says why. Moving to another
version means reading each replaced function in its source, then changing WRITTEN_FOR.
"""
from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple

import aiohttp
import dask
import tensorflow as tf
from jsonschema import validators
from rasa import __version__ as RASA_VERSION
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

WRITTEN_FOR = "3.6.21"
log = logging.getLogger(__name__)

_original_load = RasaModel.load.__func__  # type: ignore[attr-defined]


def _load(
    cls: type,
    model_file_name: str,
    model_data_example: RasaModelData,
    predict_data_example: Optional[RasaModelData] = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    if finetune_mode or predict_data_example is None:
        return _original_load(cls, model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    learning_rate = kwargs.get("config", {}).get("learning_rate", 0.001)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate))
    batch_in, _ = RasaBatchDataGenerator(model_data_example, batch_size=1)[0]
    model._training = True
    model.batch_loss(batch_in)  # eager: creates every variable, traces nothing
    model._training = False
    model.load_weights(model_file_name).expect_partial()  # optimizer slots are not needed to predict
    model.run_inference(predict_data_example)
    return model


@lru_cache(maxsize=1)
def _action_reply_validators() -> Tuple[Any, Any, Dict[str, Any]]:
    """Rasa's validator of a whole reply; one of the reply without its events' `oneOf`; one per
    event name for an event (the common part plus the alternative of that name)."""
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    events = schema["properties"]["events"]
    items = events["items"]
    common = {key: value for key, value in items.items() if key != "oneOf"}
    by_event: Dict[str, Any] = {}
    for alternative in items["oneOf"]:
        name = alternative["properties"]["event"]["const"]
        if name in by_event:  # two alternatives for one name: only Rasa's whole check is right
            return cls(schema), None, {}
        by_event[name] = cls({**common, "allOf": [alternative]})
    without_events = {**schema, "properties": {**schema["properties"], "events": {**events, "items": common}}}
    return cls(schema), cls(without_events), by_event


def _reply_is_valid(result: Any) -> bool:
    _, reply, by_event = _action_reply_validators()
    if reply is None or not reply.is_valid(result):
        return False
    for event in result.get("events") or []:
        check = by_event.get(str(event.get("event"))) if isinstance(event, dict) else None
        if check is None or not check.is_valid(event):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    from jsonschema import ValidationError

    if _reply_is_valid(result):
        return True
    try:
        _action_reply_validators()[0].validate(result)
        return True
    except ValidationError as error:
        error.message += ". Failed to validate Action server response from API."
        raise error


_original_resolve_by_type = Event.resolve_by_type
_event_classes: Dict[str, type] = {}


def _resolve_by_type(type_name: str, default: Optional[type] = None) -> Optional[type]:
    if not _event_classes:
        for cls in reversed(all_subclasses(Event)):  # Rasa returns the first match: let it win
            _event_classes[cls.type_name] = cls
    found = _event_classes.get(type_name)
    return found if found is not None else _original_resolve_by_type(type_name, default)


_original_build_dask_graph = DaskGraphRunner._build_dask_graph
_GRAPHS = "_graphs_by_targets"


def _run(self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None,
         targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    """Rasa's `DaskGraphRunner.run`, with the graph of each set of targets built once."""
    run_targets = targets if targets else self._graph_schema.target_names
    graphs: Dict[Tuple[Text, ...], Dict[Text, Any]] = self.__dict__.setdefault(_GRAPHS, {})
    key = tuple(run_targets)
    graph = graphs.get(key)
    if graph is None:
        graph = _original_build_dask_graph(self, self._graph_schema.minimal_graph_schema(run_targets))
        graphs[key] = graph
    run_graph = dict(graph)
    if inputs:
        self._add_inputs_to_graph(inputs, run_graph)
    try:
        return dict(dask.get(run_graph, run_targets))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error


KEEP_ALIVE_SECONDS = 2.0  # below the action server's (Sanic's) 5 s
_KEPT = "_kept_session"


class _KeptSession:
    """What `async with endpoint.session()` gets: the endpoint's one session, left open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def _session(self: EndpointConfig) -> _KeptSession:
    """Rasa's `EndpointConfig.session` (same headers, auth and timeout), made once per event loop."""
    loop = asyncio.get_running_loop()
    kept: Optional[Tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = self.__dict__.get(_KEPT)
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                        connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS))
        kept = (loop, session)
        self.__dict__[_KEPT] = kept
    return _KeptSession(kept[1])


def install(version: str = RASA_VERSION) -> bool:
    """Apply the patches if this is the Rasa they were written for; whether they were."""
    if version != WRITTEN_FOR:
        log.error("Rasa %s is running, the patches in nlu/server/rasa_patches.py were written for %s: "
                  "none applied (Rasa runs unpatched, slower)", version, WRITTEN_FOR)
        return False
    RasaModel.load = classmethod(_load)  # type: ignore[assignment]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[assignment]
    DaskGraphRunner.run = _run  # type: ignore[assignment]
    EndpointConfig.session = _session  # type: ignore[assignment]
    return True
